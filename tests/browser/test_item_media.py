"""Item fields beyond plain text: safe markdown (markup shown as text, never run), an audio
waveform, a video with frame steps, and placeholders for files that cannot be loaded."""

import base64
import io
import math
import struct
import wave
from typing import Any

import pytest
from playwright.sync_api import Dialog

from tests.browser.conftest import Session, Team

pytestmark = pytest.mark.browser

LABEL = [{"name": "ok", "type": "label", "settings": {"labels": ["yes", "no"]}}]
HOSTILE = (
    "# Ticket\n\n**Urgent** and [the docs](https://example.org/help)\n\n"
    '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">\n\n'
    "[x](javascript:alert(1))"
)
SECONDS = 2.0
FPS = 25


def upload(team: Team, name: str, body: bytes, content_type: str) -> int:
    files = {"files": (name, body, content_type)}
    response = team.owner.post(f"/api/projects/{team.project_id}/media", files=files)
    assert response.status_code == 201, response.text
    items = team.owner.get(f"/api/projects/{team.project_id}/items").json()["items"]
    return int(items[0]["id"])


def tone_wav() -> bytes:
    """Two seconds of a 440 Hz tone, 8 kHz mono."""
    rate = 8000
    samples = b"".join(
        struct.pack("<h", int(12000 * math.sin(2 * math.pi * 440 * n / rate)))
        for n in range(int(rate * SECONDS))
    )
    body = io.BytesIO()
    with wave.open(body, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(samples)
    return body.getvalue()


def recorded_webm(session: Session) -> bytes:
    """A two-second VP8 clip recorded from a canvas by the test's own browser (no encoder
    is needed on the machine)."""
    encoded: str = session.page.evaluate(
        """async (seconds) => {
          const canvas = document.createElement('canvas');
          canvas.width = 160; canvas.height = 120;
          const g = canvas.getContext('2d');
          const stream = canvas.captureStream(25);
          const recorder = new MediaRecorder(stream, {mimeType: 'video/webm;codecs=vp8'});
          const parts = [];
          recorder.ondataavailable = (e) => parts.push(e.data);
          let n = 0;
          const draw = () => {
            g.fillStyle = `hsl(${(n++ * 15) % 360}, 70%, 50%)`;
            g.fillRect(0, 0, 160, 120);
          };
          draw();
          const timer = setInterval(draw, 40);
          recorder.start();
          await new Promise((r) => setTimeout(r, seconds * 1000));
          const stopped = new Promise((r) => (recorder.onstop = r));
          recorder.stop();
          clearInterval(timer);
          await stopped;
          const bytes = new Uint8Array(await new Blob(parts).arrayBuffer());
          let text = '';
          for (const b of bytes) text += String.fromCharCode(b);
          return btoa(text);
        }""",
        SECONDS,
    )
    return base64.b64decode(encoded)


def test_markdown_renders_safely_and_span_text_stays_plain(
    session: Session, make_team: Any
) -> None:
    questions = [
        *LABEL,
        {
            "name": "quotes",
            "type": "span",
            "required": False,
            "settings": {"field": "quote", "labels": ["CLAIM"]},
        },
    ]
    team: Team = make_team(questions)
    quote = "He said **not bold** <b>here</b>"
    team.import_items([{"fields": {"body": HOSTILE, "quote": quote}}])
    dialogs: list[str] = []

    def on_dialog(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    session.page.on("dialog", on_dialog)
    session.sign_in(team.worker)
    session.open_workspace(team.project_id)
    page = session.page
    body = page.locator("fl-item-view [data-field=body]")
    assert body.locator("h1").inner_text() == "Ticket"
    assert body.locator("strong").inner_text() == "Urgent"
    link = body.locator("a")
    assert link.count() == 1  # the javascript: link is refused and stays text
    assert link.get_attribute("href") == "https://example.org/help"
    assert "noopener" in (link.get_attribute("rel") or "")
    text = body.inner_text()
    assert '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">' in text
    assert "[x](javascript:alert(1))" in text
    assert page.locator("fl-item-view script, fl-item-view img").count() == 0
    # The text a span question marks is shown as it is: offsets count its raw characters.
    assert page.locator(".fl-span-text").inner_text() == quote
    page.locator("[data-field=body] p", has_text="javascript").click()
    page.wait_for_timeout(200)
    assert page.evaluate("window.__pwned") is None
    assert dialogs == []
    # A text task never downloads the audio library.
    loaded = page.evaluate("performance.getEntriesByType('resource').map(e => e.name)")
    assert not [url for url in loaded if "wavesurfer" in url or "regions" in url]
    session.screenshot("markdown")


def test_audio_waveform_play_seek_and_speed(session: Session, make_team: Any) -> None:
    team: Team = make_team(LABEL)
    item = upload(team, "tone.wav", tone_wav(), "audio/wav")
    session.sign_in(team.worker)
    session.open_workspace(team.project_id)
    page = session.page
    view = page.locator("fl-audio-view")
    play = view.locator(".fl-play")
    page.wait_for_function("b => !b.disabled", arg=play.element_handle())  # waveform decoded
    assert view.locator(".fl-waveform canvas, .fl-waveform div").count() > 0
    audio = view.locator("audio")

    def state(expression: str) -> Any:
        return audio.evaluate(f"a => {expression}")

    assert abs(state("a.duration") - SECONDS) < 0.1
    page.keyboard.press("k")
    page.wait_for_function("a => !a.paused", arg=audio.element_handle())
    assert play.inner_text().startswith("Pause")
    page.keyboard.press("k")
    page.wait_for_function("a => a.paused", arg=audio.element_handle())
    box = view.locator(".fl-waveform").bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + box["width"] * 0.5, box["y"] + box["height"] / 2)
    page.wait_for_function("a => Math.abs(a.currentTime - 1) < 0.15", arg=audio.element_handle())
    page.keyboard.press(">")
    assert state("a.playbackRate") == 1.25
    view.locator("select").select_option("0.5")
    assert state("a.playbackRate") == 0.5
    page.keyboard.press("<")  # never below 0.5x
    assert state("a.playbackRate") == 0.5
    page.keyboard.press("j")  # back 5 s: to the start
    assert state("a.currentTime") == 0
    page.keyboard.press("?")
    help_text = page.locator("dialog.fl-help").inner_text()
    assert "play or pause" in help_text and "slower / faster" in help_text
    page.keyboard.press("Escape")
    session.screenshot("audio")
    page.keyboard.press("1")
    page.keyboard.press("Enter")
    session.wait_for_next_item(item)
    assert team.stored_answers(item) == {"ok": "yes"}


def test_video_starts_muted_and_steps_frames(session: Session, make_team: Any) -> None:
    team: Team = make_team(LABEL)
    session.sign_in(team.worker)
    clip = recorded_webm(session)
    upload(team, "clip.webm", clip, "video/webm")
    session.open_workspace(team.project_id)
    page = session.page
    video = page.locator("fl-video-view video")
    page.wait_for_function("v => v.readyState >= 1", arg=video.element_handle())
    assert video.evaluate("v => v.muted") is True
    frame = page.locator("fl-video-view .fl-frame")
    assert frame.inner_text() == "1"
    page.keyboard.press(".")
    page.keyboard.press(".")
    page.keyboard.press(".")
    assert frame.inner_text() == "4"
    assert abs(video.evaluate("v => v.currentTime") - 3.5 / FPS) < 0.001
    page.keyboard.press(",")
    assert frame.inner_text() == "3"
    page.get_by_role("button", name="Next frame").click()
    assert frame.inner_text() == "4"
    page.keyboard.press("k")
    page.wait_for_function("v => !v.paused", arg=video.element_handle())
    page.keyboard.press(".")  # a frame step pauses
    assert video.evaluate("v => v.paused") is True
    page.keyboard.press(">")
    assert video.evaluate("v => v.playbackRate") == 1.25
    page.keyboard.press("?")
    assert "one frame back / forward" in page.locator("dialog.fl-help").inner_text()
    page.keyboard.press("Escape")
    session.screenshot("video")


def test_missing_audio_and_video_show_a_placeholder_and_can_be_returned(
    session: Session, make_team: Any
) -> None:
    team: Team = make_team(LABEL)
    gone = f"/api/projects/{team.project_id}/media/{'0' * 64}"
    team.import_items(
        [
            {
                "fields": {
                    "voice": {"src": gone, "content_type": "audio/wav"},
                    "clip": {"src": gone + "1", "content_type": "video/webm"},
                }
            }
        ]
    )
    session.allow_console(r"status of 404")  # the browser reports the missing files itself
    session.sign_in(team.worker)
    session.open_workspace(team.project_id)
    page = session.page
    voice = page.locator("[data-field=voice] .fl-media-missing")
    voice.wait_for()
    assert "This audio file could not be loaded." in voice.inner_text()
    clip = page.locator("[data-field=clip] .fl-media-missing")
    clip.wait_for()
    assert "This video could not be loaded." in clip.inner_text()
    session.screenshot("missing-media")
    page.keyboard.press("Escape")
    page.keyboard.press("Enter")
    page.locator(".fl-empty").wait_for()
    mine = team.worker.get("/api/assignments").json()
    assert [a["status"] for a in mine] == ["returned"]
