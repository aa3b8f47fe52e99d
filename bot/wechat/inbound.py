"""The inbound model: one dataclass for every WeChat message and event type."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass, field

# Control characters make expat (and so wechatpy/xmltodict) raise; WeChat users can send them.
CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_FORBIDDEN = re.compile(rb"<!(DOCTYPE|ENTITY)", re.IGNORECASE)


class MalformedMessage(ValueError):
    """The body is not a WeChat XML message we can read."""


def strip_control(text: str) -> str:
    return CONTROL_CHARS.sub("", text)


def parse_xml(body: bytes | str) -> dict:
    """Parse WeChat's flat XML safely: no DTDs or entities (no XXE, no billion laughs).

    ElementTree's C parser, a quarter of xmltodict's time (0.03 against 0.11 ms, twice a message);
    the result is shaped as xmltodict's was: text stripped, an empty element None, a nested one a dict
    and a repeated one a list."""
    raw = body.encode("utf-8", "replace") if isinstance(body, str) else body
    if _FORBIDDEN.search(raw):
        raise MalformedMessage("DTD or entity declarations are not allowed")
    text = strip_control(raw.decode("utf-8", "replace"))
    try:
        root = ElementTree.fromstring(text)
    except ElementTree.ParseError as exc:  # expat errors, empty bodies
        raise MalformedMessage(str(exc)) from exc
    if root.tag != "xml" or not len(root):
        raise MalformedMessage("missing <xml> root")
    return _children(root)


def _children(element) -> dict:
    found: dict = {}
    for child in element:
        value = _children(child) if len(child) else ((child.text or "").strip() or None)
        if child.tag not in found:
            found[child.tag] = value
        elif isinstance(found[child.tag], list):
            found[child.tag].append(value)
        else:
            found[child.tag] = [found[child.tag], value]
    return found


def _s(root: dict, key: str) -> str:
    value = root.get(key)
    return value.strip() if isinstance(value, str) else ""


@dataclass
class Inbound:
    openid: str
    to_user: str
    msg_type: str  # text|image|voice|video|shortvideo|location|link|event|<unknown>
    create_time: int = 0
    msg_id: str = ""
    content: str = ""
    recognition: str = ""
    event: str = ""  # lower-case: subscribe|unsubscribe|scan|location|click|view|…
    event_key: str = ""
    media_id: str = ""
    pic_url: str = ""
    latitude: float | None = None
    longitude: float | None = None
    label: str = ""
    title: str = ""
    url: str = ""
    raw: dict = field(default_factory=dict, repr=False)

    @classmethod
    def from_xml(cls, body: bytes | str) -> "Inbound":
        return cls.from_dict(parse_xml(body))

    @classmethod
    def from_dict(cls, root: dict) -> "Inbound":
        openid, msg_type = _s(root, "FromUserName"), _s(root, "MsgType").lower()
        if not openid or not msg_type:
            raise MalformedMessage("FromUserName and MsgType are required")
        try:
            create_time = int(_s(root, "CreateTime") or 0)
        except ValueError as exc:
            raise MalformedMessage("bad CreateTime") from exc
        msg = cls(openid=openid, to_user=_s(root, "ToUserName"), msg_type=msg_type,
                  create_time=create_time, msg_id=_s(root, "MsgId") or _s(root, "MsgID"),
                  content=_s(root, "Content"), recognition=_s(root, "Recognition"),
                  event=_s(root, "Event").lower(), event_key=_s(root, "EventKey"),
                  media_id=_s(root, "MediaId"), pic_url=_s(root, "PicUrl"), label=_s(root, "Label"),
                  title=_s(root, "Title"), url=_s(root, "Url"), raw=root)
        lat = _s(root, "Location_X") or _s(root, "Latitude")
        lon = _s(root, "Location_Y") or _s(root, "Longitude")
        try:
            msg.latitude, msg.longitude = (float(lat), float(lon)) if lat and lon else (None, None)
        except ValueError:
            msg.latitude = msg.longitude = None
        return msg

    @property
    def is_event(self) -> bool:
        return self.msg_type == "event"

    @property
    def text(self) -> str:
        """What the resident said: typed text, or the voice transcript."""
        if self.msg_type == "text":
            return self.content
        if self.msg_type == "voice":
            return self.recognition
        return ""

    @property
    def dedup_key(self) -> str:
        # MsgId repeats across users, so key it with the sender; events have no MsgId.
        if self.msg_id and not self.is_event:
            return f"m:{self.openid}:{self.msg_id}"
        return f"e:{self.openid}:{self.create_time}:{self.event}:{self.event_key}"[:200]
