"""A local HTTP stand-in for the ElevenLabs API that the real ``elevenlabs`` SDK reaches
through its ``base_url``, with faults to inject.

Served (auth header ``xi-api-key``; a wrong key gets 401 ``invalid_api_key``):

* voices: ``GET /v1/voices``, ``GET /v2/voices`` (search, page_size, next_page_token),
  ``GET|DELETE /v1/voices/{id}``;
* voice design: ``POST /v1/text-to-voice/create-previews`` and ``/design`` (3 previews with
  real MP3 audio and a ``generated_voice_id``), ``POST /v1/text-to-voice`` (create);
* speech: ``POST /v1/text-to-speech/{voice_id}`` (audio bytes) and ``/with-timestamps``
  (JSON: base64 audio + a character alignment consistent with the audio length);
* ``POST /v1/text-to-dialogue`` (+ ``/with-timestamps`` with voice segments);
* ``POST /v1/sound-generation`` (noise of ``duration_seconds``);
* ``GET /v1/user`` and ``/v1/user/subscription`` (characters used against a limit: text to
  speech past the limit answers 401 ``quota_exceeded`` as the real service does).

Each answer carries ``request-id`` and ``x-character-count`` headers. Faults:
``emulator.inject(route, fault)`` queues a :class:`Fault` for a route name (see ``ROUTES``)
or ``"*"``; a fault answers instead of the route (``times`` answers, None: forever) or, with
``delay``, only slows the real answer down.
"""

from __future__ import annotations

import base64
import contextlib
import json
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from . import audio

DEFAULT_KEY = "sk_emulator_0123456789abcdef0123456789abcdef"
DEFAULT_LIMIT = 100_000

ROUTES = ("voices_list", "voices_search", "voice_get", "voice_delete", "previews",
          "voice_create", "tts", "tts_timestamps", "dialogue", "dialogue_timestamps", "sfx",
          "user", "subscription")


# --------------------------------------------------------------------------- faults


@dataclass
class Fault:
    """Answer ``status``/``body`` (or, with ``status=None``, wait ``delay`` s and answer
    normally) for the next ``times`` calls of a route (None: every call)."""

    status: int | None = None
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    times: int | None = 1
    delay: float = 0.0


def invalid_key(times: int | None = 1) -> Fault:
    return Fault(401, {"detail": {"status": "invalid_api_key",
                                  "message": "Invalid API key"}}, times=times)


def quota_exceeded(times: int | None = 1, remaining: int = 0) -> Fault:
    return Fault(401, {"detail": {
        "status": "quota_exceeded",
        "message": f"This request exceeds your quota of 10000. You have {remaining} credits "
                   "remaining, while 120 credits are required for this request."}}, times=times)


def unprocessable(msg: str = "ensure this value has at most 5000 characters",
                  loc: tuple[str, ...] = ("body", "text"), times: int | None = 1) -> Fault:
    return Fault(422, {"detail": [{"loc": list(loc), "msg": msg, "type": "value_error"}]},
                 times=times)


def rate_limited(retry_after: float = 0, times: int | None = 1,
                 status: str = "too_many_concurrent_requests") -> Fault:
    return Fault(429, {"detail": {"status": status,
                                  "message": "Too many concurrent requests."}},
                 headers={"Retry-After": f"{retry_after:g}"}, times=times)


def server_error(times: int | None = 1) -> Fault:
    return Fault(500, {"detail": {"status": "internal_error", "message": "Server error"}},
                 times=times)


def slow(seconds: float, times: int | None = 1) -> Fault:
    return Fault(None, None, delay=seconds, times=times)


# --------------------------------------------------------------------------- state


@dataclass
class Recorded:
    method: str
    route: str
    path: str
    query: dict[str, list[str]]
    body: Any
    key: str | None
    status: int = 0


PREMADE = [
    ("21m00Tcm4TlvDq8ikWAM", "Rachel", "calm", "female", "young", "american"),
    ("pNInz6obpgDQGcFmaJgB", "Adam", "deep", "male", "middle_aged", "american"),
    ("EXAVITQu4vr4xnSDxMaL", "Bella", "soft", "female", "young", "american"),
    ("VR6AewLTigWG4xSOukaG", "Arnold", "crisp", "male", "middle_aged", "american"),
    ("onwK4e9ZLuTAKqWW03F9", "Daniel", "authoritative", "male", "middle_aged", "british"),
    ("XB0fDUnXU5powFXDhCwa", "Charlotte", "seductive", "female", "young", "swedish"),
]


def _voice(voice_id: str, name: str, description: str, labels: dict[str, str],
           category: str) -> dict[str, Any]:
    return {"voice_id": voice_id, "name": name, "category": category, "labels": labels,
            "description": description, "preview_url": None, "samples": None,
            "settings": {"stability": 0.5, "similarity_boost": 0.75, "style": 0.0,
                         "use_speaker_boost": True, "speed": 1.0},
            "available_for_tiers": [], "high_quality_base_model_ids": ["eleven_multilingual_v2"]}


class ElevenLabsEmulator:
    """The emulator: ``start()``, ``base_url``, ``reset()``, ``inject()``, ``requests``."""

    def __init__(self, key: str = DEFAULT_KEY, host: str = "127.0.0.1", port: int = 0) -> None:
        self.key = key
        self._lock = threading.Lock()
        self.in_flight = 0  # requests being handled now
        self._server = ThreadingHTTPServer((host, port), _handler(self))
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None
        self.reset()

    # --- life cycle --------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> ElevenLabsEmulator:
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.05},
                                        name="elevenlabs-emulator", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def reset(self, *, character_limit: int = DEFAULT_LIMIT) -> None:
        with self._lock:
            # a request still in flight from before the reset (e.g. one slowed past its
            # client's timeout) must not change the new state: handlers compare this
            self.epoch = getattr(self, "epoch", 0) + 1
            self.faults: dict[str, list[Fault]] = {}
            self.requests: list[Recorded] = []
            self.voices: dict[str, dict[str, Any]] = {
                vid: _voice(vid, name, f"A {style} voice", {
                    "accent": accent, "age": age, "gender": gender, "descriptive": style,
                    "use_case": "narration"}, "premade")
                for vid, name, style, gender, age, accent in PREMADE}
            self.generated: dict[str, dict[str, Any]] = {}  # generated_voice_id -> preview
            self.character_count = 0
            self.character_limit = character_limit

    # --- scripting ---------------------------------------------------------------------

    def inject(self, route: str, fault: Fault) -> None:
        if route != "*" and route not in ROUTES:
            raise ValueError(f"unknown route {route!r}; one of {ROUTES}")
        with self._lock:
            self.faults.setdefault(route, []).append(fault)

    def calls(self, route: str | None = None) -> list[Recorded]:
        with self._lock:
            return [r for r in self.requests if route is None or r.route == route]

    def _take_fault(self, route: str) -> Fault | None:
        with self._lock:
            for name in (route, "*"):
                queue = self.faults.get(name)
                if not queue:
                    continue
                fault = queue[0]
                if fault.times is not None:
                    fault.times -= 1
                    if fault.times <= 0:
                        queue.pop(0)
                return fault
        return None

    # --- routes ------------------------------------------------------------------------

    def route_of(self, method: str, path: str) -> tuple[str, dict[str, str]] | None:
        parts = [p for p in path.split("/") if p]
        if method == "GET" and parts == ["v1", "voices"]:
            return "voices_list", {}
        if method == "GET" and parts == ["v2", "voices"]:
            return "voices_search", {}
        if len(parts) == 3 and parts[:2] == ["v1", "voices"]:
            if method == "GET":
                return "voice_get", {"voice_id": parts[2]}
            if method == "DELETE":
                return "voice_delete", {"voice_id": parts[2]}
        if method == "POST" and parts[:2] == ["v1", "text-to-voice"]:
            if parts[2:] in (["create-previews"], ["design"]):
                return "previews", {"which": parts[2]}
            if parts[2:] == []:
                return "voice_create", {}
        if method == "POST" and parts[:2] == ["v1", "text-to-speech"] and len(parts) >= 3:
            rest = parts[3:]
            if rest in ([], ["stream"]):
                return "tts", {"voice_id": parts[2]}
            if rest in (["with-timestamps"], ["stream", "with-timestamps"]):
                return "tts_timestamps", {"voice_id": parts[2]}
        if method == "POST" and parts[:2] == ["v1", "text-to-dialogue"]:
            rest = parts[2:]
            if rest in ([], ["stream"]):
                return "dialogue", {}
            if rest in (["with-timestamps"], ["stream", "with-timestamps"]):
                return "dialogue_timestamps", {}
        if method == "POST" and parts == ["v1", "sound-generation"]:
            return "sfx", {}
        if method == "GET" and parts == ["v1", "user"]:
            return "user", {}
        if method == "GET" and parts == ["v1", "user", "subscription"]:
            return "subscription", {}
        return None

    def handle(self, route: str, args: dict[str, str], query: dict[str, list[str]],
               body: Any) -> tuple[int, Any, dict[str, str]]:
        """``(status, body: dict | bytes, headers)`` of a request that passed auth."""
        q = {k: v[-1] for k, v in query.items()}
        fn = getattr(self, f"_r_{route}")
        return fn(args, q, body if isinstance(body, dict) else {})

    def _bill(self, text: str) -> tuple[int, Any, dict[str, str]] | None:
        """Count ``text`` against the quota; the 401 quota answer when it does not fit."""
        n = len(text)
        with self._lock:
            if self.character_count + n > self.character_limit:
                left = self.character_limit - self.character_count
                return 401, quota_exceeded(remaining=left).body, {}
            self.character_count += n
        return None

    def _r_voices_list(self, args, q, body):
        with self._lock:
            voices = list(self.voices.values())
        return 200, {"voices": voices}, {}

    def _r_voices_search(self, args, q, body):
        with self._lock:
            voices = list(self.voices.values())
        term = (q.get("search") or "").lower()
        if term:
            voices = [v for v in voices if term in v["name"].lower()
                      or term in (v.get("description") or "").lower()
                      or any(term in str(x).lower() for x in v["labels"].values())]
        if q.get("voice_type") in ("generated", "premade"):
            voices = [v for v in voices if v["category"] == q["voice_type"]]
        size = int(q.get("page_size") or 10)
        start = int(q.get("next_page_token") or 0)
        page = voices[start:start + size]
        more = start + size < len(voices)
        return 200, {"voices": page, "has_more": more, "total_count": len(voices),
                     "next_page_token": str(start + size) if more else None}, {}

    def _not_found(self, voice_id: str):
        return 404, {"detail": {"status": "voice_not_found",
                                "message": f"A voice with voice_id {voice_id} was not found."}}, {}

    def _r_voice_get(self, args, q, body):
        with self._lock:
            voice = self.voices.get(args["voice_id"])
        return (200, voice, {}) if voice else self._not_found(args["voice_id"])

    def _r_voice_delete(self, args, q, body):
        with self._lock:
            voice = self.voices.pop(args["voice_id"], None)
        return (200, {"status": "ok"}, {}) if voice else self._not_found(args["voice_id"])

    def _r_previews(self, args, q, body):
        description = str(body.get("voice_description") or "")
        if not 20 <= len(description) <= 1000:
            return 422, {"detail": [{"loc": ["body", "voice_description"], "type": "value_error",
                                     "msg": "voice_description must be 20-1000 characters"}]}, {}
        text = body.get("text") or ("Every voice tells a story; this one was designed from a "
                                    "short description of its character.")
        codec, rate = audio.parse_format(q.get("output_format"))
        previews = []
        for _ in range(3):
            gid = uuid.uuid4().hex[:20]
            sp = audio.speech(text, gid, rate)
            data, media = audio.encode(sp.samples, rate, codec)
            previews.append({"audio_base_64": base64.b64encode(data).decode(),
                             "generated_voice_id": gid, "media_type": media,
                             "duration_secs": round(sp.duration, 3), "language": "en"})
            with self._lock:
                self.generated[gid] = {"description": description}
        return 200, {"previews": previews, "text": text}, {}

    def _r_voice_create(self, args, q, body):
        gid = str(body.get("generated_voice_id") or "")
        with self._lock:
            known = gid in self.generated
        if not known:
            return 400, {"detail": {"status": "invalid_generated_voice_id",
                                    "message": f"Generated voice {gid!r} does not exist."}}, {}
        name = str(body.get("voice_name") or "")
        if not name:
            return 422, {"detail": [{"loc": ["body", "voice_name"], "type": "missing",
                                     "msg": "Field required"}]}, {}
        voice = _voice(gid, name, str(body.get("voice_description") or ""),
                       dict(body.get("labels") or {}), "generated")
        with self._lock:
            self.voices[gid] = voice
        return 200, voice, {}

    def _check_voice(self, voice_id: str):
        with self._lock:
            return None if voice_id in self.voices else self._not_found(voice_id)

    def _speech(self, voice_id: str, text: str, q: dict[str, str], body: dict[str, Any]):
        if not text.strip():
            return None, (422, {"detail": [{"loc": ["body", "text"], "type": "value_error",
                                            "msg": "text must not be empty"}]}, {})
        if len(text) > 5000:
            return None, (422, unprocessable().body, {})
        if (bad := self._check_voice(voice_id)) is not None:
            return None, bad
        try:
            codec, rate = audio.parse_format(q.get("output_format"))
        except ValueError:
            return None, (422, {"detail": [{"loc": ["query", "output_format"],
                                            "type": "enum", "msg": "unknown output format"}]}, {})
        if (refused := self._bill(text)) is not None:
            return None, refused
        speed = float((body.get("voice_settings") or {}).get("speed") or 1.0)
        return (audio.speech(text, voice_id, rate, speed), codec, rate), None

    @staticmethod
    def _alignment(sp: audio.Speech) -> dict[str, Any]:
        return {"characters": sp.characters,
                "character_start_times_seconds": [round(t, 4) for t in sp.starts],
                "character_end_times_seconds": [round(t, 4) for t in sp.ends]}

    def _r_tts(self, args, q, body):
        made, err = self._speech(args["voice_id"], str(body.get("text") or ""), q, body)
        if err:
            return err
        sp, codec, rate = made
        data, media = audio.encode(sp.samples, rate, codec)
        return 200, data, {"Content-Type": media, "x-character-count": str(len(sp.characters))}

    def _r_tts_timestamps(self, args, q, body):
        made, err = self._speech(args["voice_id"], str(body.get("text") or ""), q, body)
        if err:
            return err
        sp, codec, rate = made
        data, _ = audio.encode(sp.samples, rate, codec)
        align = self._alignment(sp)
        return 200, {"audio_base64": base64.b64encode(data).decode(), "alignment": align,
                     "normalized_alignment": align}, {"x-character-count": str(len(sp.characters))}

    def _dialogue(self, q, body):
        inputs = body.get("inputs") or []
        if not inputs:
            return None, (422, {"detail": [{"loc": ["body", "inputs"], "type": "missing",
                                            "msg": "Field required"}]}, {})
        for item in inputs:
            if (bad := self._check_voice(str(item.get("voice_id")))) is not None:
                return None, bad
        text = "".join(str(i.get("text") or "") for i in inputs)
        if (refused := self._bill(text)) is not None:
            return None, refused
        codec, rate = audio.parse_format(q.get("output_format"))
        parts, chars, starts, ends, segments = [], [], [], [], []
        offset, index = 0.0, 0
        for n, item in enumerate(inputs):
            sp = audio.speech(str(item["text"]), str(item["voice_id"]), rate)
            parts.append(sp.samples)
            segments.append({"voice_id": item["voice_id"], "start_time_seconds": offset,
                             "end_time_seconds": offset + sp.duration,
                             "character_start_index": index,
                             "character_end_index": index + len(sp.characters),
                             "dialogue_input_index": n})
            chars += sp.characters
            starts += [offset + t for t in sp.starts]
            ends += [offset + t for t in sp.ends]
            offset += sp.duration
            index += len(sp.characters)
        import numpy as np

        full = audio.Speech(np.concatenate(parts), rate, chars, starts, ends)
        return (full, codec, rate, segments), None

    def _r_dialogue(self, args, q, body):
        made, err = self._dialogue(q, body)
        if err:
            return err
        sp, codec, rate, _ = made
        data, media = audio.encode(sp.samples, rate, codec)
        return 200, data, {"Content-Type": media, "x-character-count": str(len(sp.characters))}

    def _r_dialogue_timestamps(self, args, q, body):
        made, err = self._dialogue(q, body)
        if err:
            return err
        sp, codec, rate, segments = made
        data, _ = audio.encode(sp.samples, rate, codec)
        align = self._alignment(sp)
        return 200, {"audio_base64": base64.b64encode(data).decode(), "alignment": align,
                     "normalized_alignment": align, "voice_segments": segments}, {}

    def _r_sfx(self, args, q, body):
        text = str(body.get("text") or "")
        if not text.strip():
            return 422, {"detail": [{"loc": ["body", "text"], "type": "missing",
                                     "msg": "Field required"}]}, {}
        duration = body.get("duration_seconds")
        duration = 2.0 if duration is None else float(duration)
        if not 0.5 <= duration <= 30:
            return 422, {"detail": [{"loc": ["body", "duration_seconds"], "type": "value_error",
                                     "msg": "duration_seconds must be between 0.5 and 30"}]}, {}
        if (refused := self._bill("x" * int(duration * 40))) is not None:  # 40 credits/s
            return refused
        codec, rate = audio.parse_format(q.get("output_format"))
        data, media = audio.encode(audio.noise(duration, rate, text), rate, codec)
        return 200, data, {"Content-Type": media}

    def _subscription(self) -> dict[str, Any]:
        with self._lock:
            used, limit = self.character_count, self.character_limit
        return {"tier": "creator", "character_count": used, "character_limit": limit,
                "max_character_limit_extension": None, "can_extend_character_limit": False,
                "allowed_to_extend_character_limit": False,
                "next_character_count_reset_unix": int(time.time()) + 86400 * 30,
                "voice_slots_used": len(self.generated), "professional_voice_slots_used": 0,
                "professional_voice_slots_used_in_workspace": 0, "voice_limit": 30,
                "max_voice_add_edits": None, "voice_add_edit_counter": 0,
                "professional_voice_limit": 1, "can_extend_voice_limit": False,
                "can_use_instant_voice_cloning": True,
                "can_use_professional_voice_cloning": True, "currency": "usd",
                "status": "active", "billing_period": "monthly_period",
                "character_refresh_period": "monthly_period", "open_invoices": [],
                "has_open_invoices": False, "max_credit_limit_extension": 0,
                "current_overage": {"amount": 0, "currency": "usd"}}

    def _r_subscription(self, args, q, body):
        return 200, self._subscription(), {}

    def _r_user(self, args, q, body):
        return 200, {"user_id": "emulator-user", "workspace_id": "ws-emulator",
                     "subscription": self._subscription(), "is_new_user": False,
                     "xi_api_key": None, "can_use_delayed_payment_methods": False,
                     "is_onboarding_completed": True,
                     "is_onboarding_checklist_completed": True, "first_name": "Emu",
                     "created_at": 1700000000, "seat_type": "workspace_admin"}, {}


def _handler(emulator: ElevenLabsEmulator) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib name
            pass

        def _dispatch(self) -> None:
            url = urlsplit(self.path)
            query = parse_qs(url.query)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                body = None
            found = emulator.route_of(self.command, url.path)
            key = self.headers.get("xi-api-key")
            record = Recorded(self.command, found[0] if found else "", url.path, query, body,
                              key)
            with emulator._lock:
                emulator.requests.append(record)
                epoch = emulator.epoch
            if found is None:
                self._send(record, 404, {"detail": "Not Found"}, {})
                return
            route, args = found
            if key != emulator.key:
                self._send(record, 401, invalid_key().body, {})
                return
            fault = emulator._take_fault(route)
            if fault is not None and fault.delay:
                time.sleep(fault.delay)
                if emulator.epoch != epoch:  # reset meanwhile: it belongs to an earlier test
                    self.close_connection = True
                    return
            if fault is not None and fault.status is not None:
                self._send(record, fault.status, fault.body, dict(fault.headers))
                return
            status, payload, headers = emulator.handle(route, args, query, body)
            self._send(record, status, payload, headers)

        def _send(self, record: Recorded, status: int, payload: Any,
                  headers: dict[str, str]) -> None:
            record.status = status
            if isinstance(payload, bytes):
                data = payload
                headers.setdefault("Content-Type", "application/octet-stream")
            else:
                data = json.dumps(payload).encode()
                headers["Content-Type"] = "application/json"
            self.send_response(status)
            headers.setdefault("request-id", uuid.uuid4().hex)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(data)

        def _counted(self) -> None:
            with emulator._lock:
                emulator.in_flight += 1
            try:
                self._dispatch()
            finally:
                with emulator._lock:
                    emulator.in_flight -= 1

        do_GET = do_POST = do_DELETE = _counted

    return Handler


@contextlib.contextmanager
def running(**kwargs: Any) -> Iterator[ElevenLabsEmulator]:
    emulator = ElevenLabsEmulator(**kwargs).start()
    try:
        yield emulator
    finally:
        emulator.stop()
