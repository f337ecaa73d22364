"""Which targets ``publish`` accepts: a folder path, ``s3://`` or ``gs://``; any other ``scheme://`` is a usage error."""

from __future__ import annotations

from pathlib import Path

import pytest

from feedpub.cli import main
from feedpub.config import PublishSettings, load_config
from feedpub.config_values import check_target, target_scheme
from feedpub.errors import ConfigError

from ..conftest import FIXTURE_SITE

SUPPORTED = "(supported: s3://, gs://, az:// or a folder path)"


@pytest.mark.parametrize("target", ["sftp://bucket/feeds/", "ftp://x/", "file:///srv/feeds/", "S3://bucket/feeds/"])
def test_an_unknown_scheme_on_the_command_line_exits_2_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], target: str
) -> None:
    scheme = target.split("://")[0]
    assert main(["publish", "--source", str(FIXTURE_SITE), "--target", target, "--quiet"]) == 2
    assert capsys.readouterr().err.splitlines() == [
        f"feedpub: error: --target: unsupported target scheme {scheme}:// {SUPPORTED}"
    ]
    assert list(tmp_path.iterdir()) == [], "no folder named after the URL, no cache"


def test_an_unknown_scheme_in_the_config_exits_2_naming_the_file_and_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = tmp_path / "feedpub.yaml"
    cfg.write_text(f"sources: ['{FIXTURE_SITE}']\npublish:\n  target: sftp://bucket/feeds/\n", encoding="utf-8")
    for command in ("publish", "build"):
        assert main([command, "--config", str(cfg), "--quiet"]) == 2
        assert capsys.readouterr().err.splitlines() == [
            f"feedpub: error: {cfg}: publish.target: unsupported target scheme sftp:// {SUPPORTED}"
        ]
    assert list(tmp_path.iterdir()) == [cfg]


def test_folders_s3_and_gcs_are_targets(tmp_path: Path) -> None:
    cfg = tmp_path / "feedpub.yaml"
    cfg.write_text("publish:\n  target: out/gs:x\n", encoding="utf-8")
    # No "scheme://" in it: a folder, relative to the config file like every path.
    assert load_config(cfg).publish.target == str(tmp_path / "out" / "gs:x")
    assert target_scheme("s3://b/p/") == "s3" and target_scheme("./a://b") is None
    assert check_target("s3://b/p/", "--target") == "s3://b/p/"
    assert check_target("gs://b/p/", "--target") == "gs://b/p/" and target_scheme("gs://b/p/") == "gs"
    assert PublishSettings(target="s3://b/p/").target == "s3://b/p/"
    with pytest.raises(ConfigError, match=r"publish\.target: unsupported target scheme ftp://"):
        PublishSettings(target="ftp://x/")


@pytest.mark.parametrize("value", [0, -5, float("inf"), float("nan"), True, "10"])
def test_the_deadline_must_be_a_positive_number_of_seconds(value: object) -> None:
    with pytest.raises(ConfigError, match=r"publish\.deadline"):
        PublishSettings(deadline=value)  # type: ignore[arg-type]
    assert PublishSettings(deadline=2.5).deadline == 2.5
    assert PublishSettings().deadline == 600
