"""Forms of the forwarding pages: choosing recipients, and filtering the dispatch list."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from sigurnet.core.models import Institution
from sigurnet.hotline.forwarding import selectors
from sigurnet.hotline.forwarding.holds import HOLD_NOTE_MAX_LENGTH, hold_requesters
from sigurnet.hotline.forwarding.selectors import DispatchFilter, SuggestionLike
from sigurnet.hotline.forwarding.services import Recipient
from sigurnet.hotline.models import ContentItem, Dispatch, DispatchKind


def suggestion_key(suggestion: SuggestionLike) -> str:
    return f"{suggestion.institution.pk}:{suggestion.kind}"


class InstitutionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.country} · {obj.get_kind_display()} · {obj.name}"


class ForwardForm(forms.Form):
    """The suggested recipients (ticked: untick to leave one out) and one more institution."""

    recipients = forms.MultipleChoiceField(
        label=_("Send to"), required=False, widget=forms.CheckboxSelectMultiple
    )
    extra_institution = InstitutionChoiceField(
        label=_("Add another institution"),
        queryset=Institution.objects.none(),
        required=False,
        help_text=_("The kind of dispatch follows from the kind of institution."),
    )

    def __init__(self, *args: Any, suggestions: Sequence[SuggestionLike], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.suggestions = {suggestion_key(s): s for s in suggestions}
        field = self.fields["recipients"]
        assert isinstance(field, forms.MultipleChoiceField)
        field.choices = [(key, s.institution.name) for key, s in self.suggestions.items()]
        field.initial = list(self.suggestions)
        extra = self.fields["extra_institution"]
        assert isinstance(extra, forms.ModelChoiceField)
        extra.queryset = selectors.institutions_to_add()

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not cleaned.get("recipients") and not cleaned.get("extra_institution"):
            raise forms.ValidationError(_("Choose at least one recipient."))
        return cleaned

    def chosen(self) -> list[Recipient]:
        chosen = []
        for key in self.cleaned_data["recipients"]:
            suggestion = self.suggestions[key]
            chosen.append(
                Recipient(
                    institution=suggestion.institution,
                    kind=suggestion.kind,
                    items=list(suggestion.items),
                )
            )
        extra = self.cleaned_data.get("extra_institution")
        if extra is not None:
            kind = selectors.KIND_FOR_INSTITUTION.get(extra.kind, DispatchKind.AUTHORITY)
            if all((r.institution.pk, r.kind) != (extra.pk, kind) for r in chosen):
                chosen.append(Recipient(institution=extra, kind=kind))
        return chosen


class DispatchFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Any status")), *Dispatch.Status.choices],
    )
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("Any kind")), *DispatchKind.choices]
    )
    institution = InstitutionChoiceField(
        label=_("Institution"),
        required=False,
        queryset=Institution.objects.none(),
        empty_label=_("Any institution"),
    )
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["institution"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = Institution.objects.filter(
            pk__in=Dispatch.objects.values("institution_id")
        ).order_by("country", "name")

    def criteria(self) -> DispatchFilter:
        if not self.is_valid():
            return DispatchFilter()
        data = self.cleaned_data
        institution = data.get("institution")
        return DispatchFilter(
            status=data.get("status") or "",
            kind=data.get("kind") or "",
            institution=institution.pk if institution else None,
            overdue=bool(data.get("overdue")),
        )


class ReleaseHoldForm(forms.Form):
    """Which item of a dispatch to release (the hold is the item's active one)."""

    item = forms.ModelChoiceField(queryset=ContentItem.objects.none())

    def __init__(self, *args: Any, dispatch: Dispatch, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["item"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = ContentItem.objects.filter(dispatch_items__dispatch=dispatch)


class HoldForm(ReleaseHoldForm):
    """Hold notices about one item of a dispatch: who asked, and a note."""

    requested_by = forms.ModelChoiceField(
        label=_("Asked by"), queryset=Institution.objects.none(), required=False
    )
    note = forms.CharField(
        label=_("Note"), required=False, max_length=HOLD_NOTE_MAX_LENGTH, strip=True
    )

    def __init__(self, *args: Any, dispatch: Dispatch, **kwargs: Any) -> None:
        super().__init__(*args, dispatch=dispatch, **kwargs)
        field = self.fields["requested_by"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = Institution.objects.filter(pk__in=[i.pk for i in hold_requesters()])
