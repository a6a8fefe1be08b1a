"""The hotline's forwarding flow: where content is hosted, dispatches, and removal tracking."""
