from __future__ import annotations

from pathlib import Path

import pytest

from refsync.config import load_settings, user_config_file
from refsync.errors import ConfigError


def test_layers_merge_in_order_defaults_user_project_env_flags(tmp_path: Path) -> None:
    user = user_config_file()
    user.parent.mkdir(parents=True)
    user.write_text('[crossref]\nmailto = "user@example.org"\ntimeout = 7\n'
                    '[zotero]\nlibrary = "user:1"\n')
    project = tmp_path / "paper"
    (project / "sub").mkdir(parents=True)
    (project / "refsync.toml").write_text('[zotero]\nlibrary = "group:2"\n'
                                          '[[target]]\noutput = "refs.bib"\ntags = "a || b"\n')
    settings = load_settings(
        cwd=project / "sub",
        environ={"REFSYNC_CROSSREF_URL": "http://127.0.0.1:9", "ZOTERO_LIBRARY": "group:3"},
        overrides={"crossref.timeout": 2.5, "crossref.mailto": None},
    )
    assert settings.crossref.mailto == "user@example.org"  # unset flag does not mask it
    assert settings.crossref.timeout == 2.5
    assert settings.crossref.url == "http://127.0.0.1:9"
    assert settings.zotero.library == "group:3"
    assert settings.project_dir == project.resolve()
    assert settings.targets[0].output == "refs.bib" and settings.targets[0].tags == ("a || b",)


def test_defaults_point_at_the_real_services() -> None:
    settings = load_settings(cwd=Path("/"), environ={})
    assert settings.crossref.url == "https://api.crossref.org"
    assert settings.zotero.url == "https://api.zotero.org"


def test_cache_folder_follows_xdg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "c"))
    assert load_settings(cwd=tmp_path, environ={}).cache_dir == tmp_path / "c" / "refsync"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[crossref]\nmialto = "x"\n',
         r"crossref\.mialto: unknown setting \(did you mean 'crossref\.mailto'\?\)"),
        ("[crossref]\ntimeout = \"soon\"\n", r"crossref\.timeout: expected a number"),
        ("[[target]]\ncolection = \"x\"\n", r"targets\[0\]\.colection: unknown setting"),
        ("[zotero\n", r"refsync\.toml: .*"),
    ],
    ids=["typo", "wrong-type", "target-typo", "bad-toml"],
)
def test_bad_settings_name_file_and_key(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / "refsync.toml").write_text(text)
    with pytest.raises(ConfigError, match=message) as info:
        load_settings(cwd=tmp_path, environ={})
    assert str(tmp_path / "refsync.toml") in info.value.message


def test_the_project_file_init_writes_reads_back_whatever_the_names() -> None:
    """Collection and tag names come from the user's library: quotes, backslashes, line breaks
    and other controls must not break (or inject into) the refsync.toml that init writes."""
    import tomllib

    from refsync.config import render_project_file

    name, tags = 'Thesis "final"\nchapter\\2\t\x00', ['a"b', "x\x7fy", "-draft"]
    text = render_project_file(library="group:1", collection=name, tags=tags,
                               output="refs.bib", fmt="bibtex", snapshot="")
    target = tomllib.loads(text)["target"][0]
    assert (target["collection"], target["tags"], target["output"]) == (name, tags, "refs.bib")


def test_plugin_settings_read_the_environment_they_are_given(tmp_path: Path) -> None:
    project = tmp_path / "refsync.toml"
    project.write_text('[plugins.mine]\ntoken = { env = "MINE_TOKEN" }\nplain = 3\n')
    settings = load_settings(project=project, environ={"MINE_TOKEN": "t0k"})
    assert settings.plugin_config("mine") == {"token": "t0k", "plain": 3}


def test_a_refsync_toml_cannot_hand_the_zotero_key_to_a_plugin(tmp_path: Path) -> None:
    project = tmp_path / "refsync.toml"
    project.write_text('[plugins.mine]\nkey = { env = "ZOTERO_API_KEY" }\n')
    with pytest.raises(ConfigError, match=r"refsync.toml: \[plugins.mine\]: key: the Zotero API "
                                          r"key is not given to plugins"):
        load_settings(project=project, environ={"ZOTERO_API_KEY": "secret"})


def project(tmp_path: Path, text: str) -> Path:
    folder = tmp_path / "cloned-paper"
    folder.mkdir(exist_ok=True)
    (folder / "refsync.toml").write_text(text, encoding="utf-8")
    return folder


@pytest.mark.parametrize("text", [
    '[zotero]\nurl = "https://collector.example.net"\n',
    '[zotero]\nlocal = true\nlocal_url = "http://collector.example.net:23119/api"\n',
    'cache_dir = "/tmp/elsewhere"\n',
])
def test_a_cloned_project_cannot_choose_where_the_key_goes_or_the_cache(
        tmp_path: Path, text: str) -> None:
    with pytest.raises(ConfigError, match="cannot set this") as caught:
        load_settings(cwd=project(tmp_path, text), environ={})
    assert "refsync.toml" in caught.value.message and "config.toml" in (caught.value.hint or "")


def test_a_project_may_repeat_what_the_user_chose(tmp_path: Path) -> None:
    folder = project(tmp_path, '[zotero]\nurl = "https://api.zotero.org/"\n')
    assert load_settings(cwd=folder, environ={}).zotero.url == "https://api.zotero.org/"
    folder = project(tmp_path, '[zotero]\nurl = "http://127.0.0.1:8080"\n')
    chosen = load_settings(cwd=folder, environ={"REFSYNC_ZOTERO_URL": "http://127.0.0.1:8080"})
    assert chosen.zotero.url == "http://127.0.0.1:8080"


@pytest.mark.parametrize(("output", "message"), [
    ("../stolen.bib", "outside the project folder"),
    ("../../etc/x", "outside the project folder"),
    ("/tmp/refsync-absolute.bib", "outside the project folder"),
    ("link/refs.bib", "outside the project folder"),
    ("", "not a file name"),
    (".", "not a file name"),
])
def test_a_project_writes_only_inside_its_folder(tmp_path: Path, output: str,
                                                 message: str) -> None:
    folder = project(tmp_path, f'[[target]]\noutput = "{output}"\n')
    (tmp_path / "outside").mkdir()
    (folder / "link").symlink_to(tmp_path / "outside")
    with pytest.raises(ConfigError, match=message):
        load_settings(cwd=folder, environ={})


def test_a_symlinked_output_that_leaves_the_folder_is_refused(tmp_path: Path) -> None:
    folder = project(tmp_path, '[[target]]\noutput = "refs.bib"\n')
    (tmp_path / "secret.txt").write_text("not for the bibliography")
    (folder / "refs.bib").symlink_to(tmp_path / "secret.txt")
    with pytest.raises(ConfigError, match="symbolic link"):
        load_settings(cwd=folder, environ={})


def test_a_project_writes_into_its_own_subfolders(tmp_path: Path) -> None:
    folder = project(tmp_path, '[[target]]\noutput = "bib/refs.bib"\n')
    assert load_settings(cwd=folder, environ={}).targets[0].output == "bib/refs.bib"
