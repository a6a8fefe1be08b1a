"""Triage: the analysts' queue, the report in front of them, and their assessment.

``services`` holds every write (the status table, claims, assessments), ``selectors`` every
read; the views under /staff/hotline/ only parse input and call them.
"""
