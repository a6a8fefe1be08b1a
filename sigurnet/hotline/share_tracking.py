"""Query parameters that the big platforms add to their share links, per site.

``canonical.canonicalize`` drops these, next to the generic tracking parameters
(``canonical.TRACKING_PARAMETERS``, ``utm_*``), so that two reports of one video or post, each
copied from a share button, become one content item. ``ReportedURL.submitted`` keeps what the
reporter sent, so an analyst still sees a dropped timestamp.

A site is keyed by its registrable domain (public suffix list): ``youtube.com`` also covers
``m.youtube.com`` and ``music.youtube.com``. A parameter listed for one site is kept on every
other site (``s`` or ``t`` mean something else elsewhere). Names are compared in lower case,
after percent-decoding, and without a ``[n]`` suffix (Facebook's ``__cft__[0]``).

The rule for an entry: the parameter is *certainly* not part of what identifies the content -
the content is named by the path or by another parameter that is kept (YouTube's ``v``) - and
it only says who shared, from which app or device, when, or which interface to show. Anything
that may select content stays: YouTube's ``v``, ``list`` and ``index``, Reddit's ``context``,
Facebook's ``id``, ``story_fbid``, ``fbid``, ``v`` and ``comment_id``, Instagram's
``img_index`` (which picture of a carousel), Telegram's ``single``, ``comment``, ``thread``
and ``start``.

Sources: the per-site rules of the ClearURLs project (https://github.com/ClearURLs/Rules,
``data.min.json``), which list most of these, and the share links the apps produce (one pair
per site in ``tests/hotline/test_canonical.py``). Where ClearURLs is broader (Facebook's ``app``
and ``eid``, TikTok's ``source`` and ``user_id``) the parameter is kept, because we are not
certain that it never selects content.
"""

from __future__ import annotations

__all__ = ["SITE_TRACKING_PARAMETERS", "site_tracking_parameters"]

_YOUTUBE = frozenset(
    {
        "si",  # share identifier (since 2023), different for every press of "Share"
        "feature",  # where the link came from: "shared", "youtu.be", "emb_title", ...
        "pp",  # search context of a link clicked in search results
        "ab_channel",  # the channel's name, repeated from the video's page
        "app",  # "desktop" or "m": which interface, not which video
        "kw",
        "embeds_euri",
        "embeds_origin",
        "embeds_referring_euri",
        "source_ve_path",
        # "t" and "time_continue" are timestamps: they point to a moment of the same video, which
        # is one piece of content however far in a reporter starts watching. Keeping them would
        # make a video reported at 0:10 and at 1:30 two items with two assessments. The moment
        # is not lost: the reported URL as submitted keeps it for the analyst.
        "t",
        "time_continue",
    }
)

_FACEBOOK = frozenset(
    {
        "mibextid",  # in-app browser / share sheet identifier
        "sfnsn",  # "shared from native share sheet"
        "sfns",
        "rdid",  # redirect identifier added when a /share/ link is resolved
        "share_url",  # the /share/ link the visitor came from; the path names the content
        "__cft__",
        "__tn__",
        "__xts__",
        "eav",
        "paipv",
        "_rdr",
        "_rdc",
        "rdc",
        "rdr",
        "comment_tracking",
        "notif_id",
        "notif_t",
        "ref",  # "ref=share", "ref=notif", "ref=bookmarks": where the click came from
        "fref",
        "refsrc",
        "refid",
        "hc_ref",
        "hc_location",
    }
)

_X_TWITTER = frozenset(
    {
        "s",  # share source: which app or button ("s=20", "s=46")
        "t",  # share token, different for each person who shares
        "ref_src",
        "ref_url",
        "src",
        "cn",  # notification e-mail campaign
    }
)

_TIKTOK = frozenset(
    {
        "_t",  # share token
        "_r",  # share marker ("_r=1")
        "_d",
        "is_from_webapp",
        "is_copy_url",
        "sender_device",
        "sender_web_id",
        "share_app_id",
        "share_app_name",
        "share_iid",
        "share_link_id",
        "social_sharing",
        "u_code",  # the sharer's code
        "sec_user_id",  # the sharer's account, never the video's
        "preview_pb",
        "timestamp",  # when it was shared
        "checksum",
        "tt_from",
        "web_id",
    }
)

_INSTAGRAM = frozenset({"igsh", "igshid"})  # share identifiers (old and new name)

_THREADS = frozenset({"xmt", "slof"})  # share token and share-sheet marker

_REDDIT = frozenset(
    {
        "share_id",  # different for each press of "Share"
        "ref",  # "ref=share"
        "ref_source",  # "ref_source=link", "ref_source=embed"
        "ref_campaign",
        "correlation_id",
        "$deep_link",
        "$3p",
        "$original_url",
        "_branch_match_id",
    }
)

_SNAPCHAT = frozenset(
    {
        "share_id",
        "sc_referrer",
        "sc_ua",
        "locale",  # the language of the page around the snap or profile, not the content
    }
)

_LINKEDIN = frozenset(
    {
        "trk",
        "trkinfo",
        "trackingid",
        "lipi",  # page instance
        "lici",
        "refid",
        "rcm",  # the member who shared the post
        "midtoken",  # e-mail notification tokens
        "midsig",
        "otptoken",
        "original_referer",
        "originalsubdomain",  # "rs" after a redirect from rs.linkedin.com to www.linkedin.com
    }
)

_SPOTIFY = frozenset(
    {
        "si",  # share identifier
        "nd",  # "no deep link": open in the browser instead of the app
        "dlsi",
        "context",  # where the track was played from (a playlist, an album), not the track
    }
)

_PINTEREST = frozenset({"invite_code", "sender", "sfo"})  # added when a pin.it link resolves

#: Registrable domain -> parameters to drop there. Telegram (t.me) is left out on purpose: its
#: links carry no tracking parameter, and ``single``, ``comment``, ``thread`` and ``start``
#: select content; only the generic parameters (``utm_*``) are dropped there.
SITE_TRACKING_PARAMETERS: dict[str, frozenset[str]] = {
    "youtube.com": _YOUTUBE,
    "youtu.be": _YOUTUBE,
    "youtube-nocookie.com": _YOUTUBE,
    "facebook.com": _FACEBOOK,
    "fb.com": _FACEBOOK,
    "fb.watch": _FACEBOOK,
    "x.com": _X_TWITTER,
    "twitter.com": _X_TWITTER,
    "tiktok.com": _TIKTOK,
    "instagram.com": _INSTAGRAM,
    "threads.net": _THREADS,
    "threads.com": _THREADS,
    "reddit.com": _REDDIT,
    "snapchat.com": _SNAPCHAT,
    "linkedin.com": _LINKEDIN,
    "spotify.com": _SPOTIFY,
    **dict.fromkeys(
        (
            "pinterest.com",
            "pinterest.at",
            "pinterest.ca",
            "pinterest.ch",
            "pinterest.co.uk",
            "pinterest.com.au",
            "pinterest.com.mx",
            "pinterest.de",
            "pinterest.dk",
            "pinterest.es",
            "pinterest.fr",
            "pinterest.ie",
            "pinterest.it",
            "pinterest.jp",
            "pinterest.nz",
            "pinterest.pt",
            "pinterest.se",
        ),
        _PINTEREST,
    ),
}

_NONE: frozenset[str] = frozenset()


def site_tracking_parameters(registrable_domain: str) -> frozenset[str]:
    """The share-link parameters dropped on this registrable domain (lower case), if any."""
    return SITE_TRACKING_PARAMETERS.get(registrable_domain, _NONE)
