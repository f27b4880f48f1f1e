"""How the window draws and allocates (backend/desktop/_render.py): software without a GPU, two
malloc arenas; bench/desktop.py measures what that buys in frame times and memory."""

from __future__ import annotations

from pathlib import Path

from harness import LaunchViewer, write_entries

from backend.desktop._render import (
    JS_FLAGS,
    has_render_node,
    lean_javascript,
    limit_malloc_arenas,
    software_without_gpu,
)


class TestSoftwareWithoutGpu:
    def test_a_render_node_means_a_gpu(self, tmp_path: Path) -> None:
        """``renderD128`` under the DRI directory is a GPU; ``card0`` alone, or nothing, is not."""
        (tmp_path / "card0").touch()
        assert not has_render_node(tmp_path)
        (tmp_path / "renderD128").touch()
        assert has_render_node(tmp_path)
        assert not has_render_node(tmp_path / "missing")

    def test_no_gpu_chooses_the_software_scene_graph(self, tmp_path: Path) -> None:
        """Linux without a render node: ``QT_QUICK_BACKEND=software``."""
        environ: dict[str, str] = {}
        assert software_without_gpu(environ, "linux", tmp_path)
        assert environ == {"QT_QUICK_BACKEND": "software"}

    def test_a_gpu_keeps_qt_default(self, tmp_path: Path) -> None:
        """With a render node nothing is set."""
        (tmp_path / "renderD128").touch()
        environ: dict[str, str] = {}
        assert not software_without_gpu(environ, "linux", tmp_path)
        assert environ == {}

    def test_the_user_choice_wins(self, tmp_path: Path) -> None:
        """A ``QT_QUICK_BACKEND`` already set is kept, GPU or not."""
        environ = {"QT_QUICK_BACKEND": "rhi"}
        assert not software_without_gpu(environ, "linux", tmp_path)
        assert environ == {"QT_QUICK_BACKEND": "rhi"}

    def test_other_platforms_are_left_alone(self, tmp_path: Path) -> None:
        """Windows and macOS have their own GPU paths: nothing is set."""
        environ: dict[str, str] = {}
        assert not software_without_gpu(environ, "darwin", tmp_path)
        assert not software_without_gpu(environ, "win32", tmp_path)
        assert environ == {}

    def test_glibc_takes_the_arena_limit(self) -> None:
        """On glibc Linux ``mallopt(M_ARENA_MAX)`` is accepted."""
        assert limit_malloc_arenas()


class TestLeanJavascript:
    def test_adds_the_flag_after_the_others(self) -> None:
        """``--js-flags=--no-compilation-cache`` joins the flags already set (``--no-sandbox``)."""
        environ = {"QTWEBENGINE_CHROMIUM_FLAGS": "--no-sandbox"}
        assert lean_javascript(environ)
        assert environ["QTWEBENGINE_CHROMIUM_FLAGS"] == f"--no-sandbox {JS_FLAGS}"

    def test_sets_it_alone(self) -> None:
        """No flags yet: the variable holds only it."""
        environ: dict[str, str] = {}
        assert lean_javascript(environ)
        assert environ == {"QTWEBENGINE_CHROMIUM_FLAGS": JS_FLAGS}

    def test_the_user_js_flags_win(self) -> None:
        """``--js-flags`` of the user's own are left as they are."""
        environ = {"QTWEBENGINE_CHROMIUM_FLAGS": "--js-flags=--max-old-space-size=4096"}
        assert not lean_javascript(environ)
        assert environ == {"QTWEBENGINE_CHROMIUM_FLAGS": "--js-flags=--max-old-space-size=4096"}


class TestInTheWindow:
    def test_the_window_says_how_it_draws(self, launch: LaunchViewer, tmp_path: Path) -> None:
        """The viewer's own log records the choice: software here unless a GPU is present."""
        write_entries(tmp_path / "logs", ["one entry"])
        viewer = launch(tmp_path / "logs")
        (record,) = [r for r in viewer.own_records() if r["message"] == "window drawing"]
        expected = "default" if has_render_node() else "software"
        assert record["fields"]["scene_graph"] == expected
        assert record["fields"]["gpu"] is has_render_node()
        assert record["fields"]["malloc_arenas"] == 2
        assert JS_FLAGS in record["fields"]["chromium_flags"].split()
