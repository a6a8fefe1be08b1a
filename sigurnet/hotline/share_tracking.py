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

import re

__all__ = ["SITE_TRACKING_PARAMETERS", "canonical_alias", "site_tracking_parameters"]

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


# --- Addresses that name one item in several ways ---------------------------------------------
#
# ``canonical_alias`` maps the well-known other forms of one item's address to one form, so that
# reports of one video or post from a share button, a phone, an embed or an old domain become
# one content item. Only where it is certain that the forms name the same item:
#
# * YouTube: ``youtu.be/ID``, ``youtube.com/watch?v=ID`` (``www.``, ``m.`` or no prefix),
#   ``/shorts/ID``, ``/live/ID``, ``/embed/ID`` and ``youtube-nocookie.com/embed/ID`` ->
#   ``https://www.youtube.com/watch?v=ID``, when ID is a video id (11 of ``A-Z a-z 0-9 _ -``).
#   The other parameters are kept after ``v`` (``list``, ``index``); on an embed the player's
#   own settings (``autoplay``, ``start``, ...: YouTube's "player parameters") are dropped.
#   Playlists, channels, ``music.youtube.com`` and ``/embed/videoseries`` stay as they are.
# * X: ``twitter.com``, ``mobile.twitter.com``, ``www.`` and ``mobile.x.com`` ``/USER/status/ID``
#   -> ``https://x.com/user/status/ID`` (user names are case-insensitive there).
#
# Left as they are, because it is not certain or cannot be known offline: Instagram's ``/reel/ID``
# and ``/p/ID``, and short links that only the site resolves (``vm.tiktok.com``, ``fb.watch``,
# ``pin.it``). Content items stored before a rule was added keep their old canonical form.

_YOUTUBE_VIDEO_ID = re.compile(r"[A-Za-z0-9_-]{11}")
_YOUTUBE_HOSTS = frozenset({"youtube.com", "www.youtube.com", "m.youtube.com"})
_YOUTUBE_NOCOOKIE_HOSTS = frozenset({"youtube-nocookie.com", "www.youtube-nocookie.com"})
_YOUTUBE_PATH = re.compile(r"/(shorts|live|embed)/([A-Za-z0-9_-]{11})")
# Settings of the embedded player (developers.google.com/youtube/player_parameters) that say how
# to play, never which video: dropped from an embed's address.
_YOUTUBE_PLAYER_PARAMETERS = frozenset(
    {
        "autoplay",
        "cc_lang_pref",
        "cc_load_policy",
        "color",
        "controls",
        "disablekb",
        "enablejsapi",
        "end",
        "fs",
        "hl",
        "iv_load_policy",
        "loop",
        "modestbranding",
        "mute",
        "origin",
        "playsinline",
        "rel",
        "showinfo",
        "start",
        "widget_referrer",
        "wmode",
    }
)
_X_HOSTS = frozenset(
    {"x.com", "www.x.com", "mobile.x.com", "twitter.com", "www.twitter.com", "mobile.twitter.com"}
)
_X_STATUS = re.compile(r"/([A-Za-z0-9_]{1,15})/status/([0-9]{1,20})")


def _parameters(query: str) -> list[tuple[str, str]]:
    return [(part.partition("=")[0].lower(), part) for part in query.split("&") if part]


def _youtube_watch(video: str, kept: list[str]) -> tuple[str, str, str]:
    return "www.youtube.com", "/watch", "&".join([f"v={video}", *kept])


def canonical_alias(host: str, path: str, query: str) -> tuple[str, str, str] | None:
    """``(host, path, query)`` of the one form of an item's address, or None to keep it.

    ``host``, ``path`` and ``query`` are already canonical (lower-case host, normalised escapes,
    tracking parameters gone); the result is an ``https`` address on the default port.
    """
    if host == "youtu.be":
        video, parameters = path[1:], _parameters(query)
        if _YOUTUBE_VIDEO_ID.fullmatch(video) and all(name != "v" for name, _ in parameters):
            return _youtube_watch(video, [part for _name, part in parameters])
        return None
    if host in _YOUTUBE_HOSTS or host in _YOUTUBE_NOCOOKIE_HOSTS:
        parameters = _parameters(query)
        if path == "/watch" and host in _YOUTUBE_HOSTS:
            ids = [part.partition("=")[2] for name, part in parameters if name == "v"]
            if len(ids) == 1 and _YOUTUBE_VIDEO_ID.fullmatch(ids[0]):
                return _youtube_watch(ids[0], [part for name, part in parameters if name != "v"])
            return None
        found = _YOUTUBE_PATH.fullmatch(path)
        if found is None or found.group(2) == "videoseries":
            return None
        kind, video = found.groups()
        if kind != "embed" and host in _YOUTUBE_NOCOOKIE_HOSTS:
            return None
        if any(name == "v" for name, _part in parameters):
            return None  # which video would be meant is not certain
        if kind == "embed":
            parameters = [(n, p) for n, p in parameters if n not in _YOUTUBE_PLAYER_PARAMETERS]
        return _youtube_watch(video, [part for _name, part in parameters])
    if host in _X_HOSTS:
        found = _X_STATUS.fullmatch(path)
        if found is None:
            return None
        user, status = found.groups()
        return "x.com", f"/{user.lower()}/status/{status}", query
    return None
