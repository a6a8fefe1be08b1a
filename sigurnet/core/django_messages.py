"""Messages of Django itself that the staff pages show (the password change form and the password
rules) and that Django's own Bosnian catalogue leaves in English.

Marked here only so that makemessages keeps them in our catalogues, which Django reads before its
own (LOCALE_PATHS): translated once for sr-latn (and so sr) and bs. Nothing imports this module.
"""

from django.utils.translation import gettext_noop, ngettext_lazy

MESSAGES = (
    gettext_noop("The two password fields didn’t match."),  # noqa: RUF001
    gettext_noop("Enter the same password as before, for verification."),
    gettext_noop("Your password can’t be too similar to your other personal information."),  # noqa: RUF001
    gettext_noop("Your password can’t be a commonly used password."),  # noqa: RUF001
    gettext_noop("Your password can’t be entirely numeric."),  # noqa: RUF001
    gettext_noop("The password is too similar to the %(verbose_name)s."),
    gettext_noop("This password is too common."),
    gettext_noop("This password is entirely numeric."),
)
PLURAL_MESSAGES = (
    ngettext_lazy(
        "Your password must contain at least %(min_length)d character.",
        "Your password must contain at least %(min_length)d characters.",
        "min_length",
    ),
    ngettext_lazy(
        "This password is too short. It must contain at least %d character.",
        "This password is too short. It must contain at least %d characters.",
        "min_length",
    ),
)
