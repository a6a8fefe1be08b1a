from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def get_help(request: HttpRequest) -> HttpResponse:
    return render(request, "helpline/get_help.html")
