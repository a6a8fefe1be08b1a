from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def report_start(request: HttpRequest) -> HttpResponse:
    return render(request, "hotline/report_start.html")
