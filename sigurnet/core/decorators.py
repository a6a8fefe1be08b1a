"""View guards for the staff area."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import urlencode

View = TypeVar("View", bound=Callable[..., HttpResponse])


def staff_permission_required(*permissions: str) -> Callable[[View], View]:
    """Let a request through only for a staff member who signed in, passed the second factor
    in this session and holds every one of ``permissions``; otherwise send them to sign-in
    (or to the second factor), or answer 403.

    ``StaffAccessMiddleware`` already stops unverified sessions under /staff/; this guard
    repeats the check so that a view stays safe if it is ever mounted elsewhere.
    """

    def decorator(view: View) -> View:
        @wraps(view)
        def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            user = request.user
            query = urlencode({"next": request.get_full_path()})
            if not user.is_authenticated:
                return HttpResponseRedirect(f"{reverse('staff:login')}?{query}")
            if not getattr(user, "is_verified", lambda: False)():
                return HttpResponseRedirect(f"{reverse('staff:verify')}?{query}")
            if not user.has_perms(permissions):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return guarded  # type: ignore[return-value]

    return decorator
