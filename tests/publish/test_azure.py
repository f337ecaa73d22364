"""The Azure Blob target against a real Azurite started for the tests (no mocks)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests

from feedpub.config import PublishSettings
from feedpub.deadline import Deadline
from feedpub.errors import ConfigError, PublishError
from feedpub.publish.apply import PublishIncomplete
from feedpub.publish.azure import SHA_META, AzureTarget, parse_az_url
from feedpub.publish.lock import acquire_lock, lock_file
from feedpub.publish.manifest import MANIFEST_NAME

from ..conftest import FIXTURE_SITE
from .azurite import ACCOUNT, AZURE_VARIABLES, KEY, Azurite
from .slowhttp import slow
from .test_s3 import build


def target(url: str, **settings: Any) -> AzureTarget:
    own = {k: settings.pop(k) for k in ("max_attempts", "request_timeout", "env") if k in settings}
    return AzureTarget(url, PublishSettings(**settings), **own)


def blobs(server: Azurite, container: str) -> dict[str, Any]:
    """Blob name -> its properties, as the store reports them."""
    client = server.service().get_container_client(container)
    return {b.name: client.get_blob_client(b.name).get_blob_properties() for b in client.list_blobs()}


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "feedpub", "publish", *args],
        capture_output=True,
        text=True,
        cwd=Path.cwd(),
        env=env or os.environ.copy(),
        timeout=180,
    )


def test_publish_sets_type_cache_control_and_mark_readable_over_http(azurite: Azurite) -> None:
    container = azurite.make_container(public=True)
    files = build()
    result = target(f"az://{container}/news/", cache_control="max-age=120").publish(files)
    assert sorted(result.uploaded) == sorted(f.name for f in files) and result.failed == ()
    stored = blobs(azurite, container)
    assert set(stored) == {"news/" + f.name for f in files} | {"news/" + MANIFEST_NAME}
    for item in files:
        props = stored["news/" + item.name]
        assert props.content_settings.content_type == item.content_type
        assert props.content_settings.cache_control == "max-age=120"
        assert SHA_META in props.metadata
        answer = requests.get(f"{azurite.endpoint}/{container}/news/{item.name}", timeout=10)  # anonymous, as readers
        assert answer.status_code == 200 and answer.content == item.data
        assert answer.headers["Content-Type"] == item.content_type and answer.headers["Cache-Control"] == "max-age=120"
    assert stored["news/" + MANIFEST_NAME].content_settings.cache_control == "no-cache"


def test_an_unchanged_run_makes_no_put_and_a_change_uploads_only_it(azurite: Azurite) -> None:
    container = azurite.make_container()
    url = f"az://{container}/news/"
    target(url).publish(build("v1"))
    first = azurite.puts(container)
    assert len(first) == len(build()) + 1  # every file and the manifest, once each
    before = {name: (p.etag, p.last_modified) for name, p in blobs(azurite, container).items()}

    result = target(url).publish(build("v1"))
    assert result.uploaded == () and len(result.unchanged) == len(build())
    assert azurite.puts(container) == first  # counted at the store: not one PUT more
    assert {name: (p.etag, p.last_modified) for name, p in blobs(azurite, container).items()} == before

    changed = [f if f.name != "ai.xml" else f.__class__(f.name, b"<xml>new</xml>", f.content_type, f.group) for f in build("v1")]
    result = target(url).publish(changed)
    assert result.uploaded == ("ai.xml",)
    assert azurite.puts(container)[len(first) :] == ["news/ai.xml", "news/" + MANIFEST_NAME]


def test_a_blob_changed_behind_feedpubs_back_is_uploaded_again(azurite: Azurite) -> None:
    container = azurite.make_container()
    target(f"az://{container}/news/").publish(build())
    azurite.service().get_blob_client(container, "news/ai.xml").upload_blob(b"vandal", overwrite=True)
    result = target(f"az://{container}/news/").publish(build())
    assert result.uploaded == ("ai.xml",)
    assert azurite.service().get_blob_client(container, "news/ai.xml").download_blob().readall().startswith(b"<xml")


def test_stale_blobs_are_deleted_only_when_asked_at_most_max_deletes_and_only_our_own(azurite: Azurite) -> None:
    container = azurite.make_container()
    url = f"az://{container}/news/"
    target(url).publish(build(topics=("ai", "robotics", "vision", "space")))
    assert target(url).publish(build()).deleted == ()  # delete_stale is off by default
    # One stale blob was rewritten by someone else: it is left in place, said once.
    azurite.service().get_blob_client(container, "news/space.atom").upload_blob(b"theirs", overwrite=True)
    result = target(url, delete_stale=True, max_deletes=1).publish(build())
    assert result.deleted == ("space.xml",)
    result = target(url, delete_stale=True).publish(build())
    assert result.deleted == ()
    names = set(blobs(azurite, container))
    assert "news/space.xml" not in names and "news/space.atom" in names


def test_a_damaged_manifest_is_rebuilt_with_one_warning(azurite: Azurite) -> None:
    container = azurite.make_container()
    target(f"az://{container}/news/").publish(build())
    azurite.service().get_blob_client(container, "news/" + MANIFEST_NAME).upload_blob(b"{not json", overwrite=True)
    warnings: list[str] = []
    result = AzureTarget(f"az://{container}/news/", PublishSettings(), warn=warnings.append).publish(build())
    assert len(result.uploaded) == len(build()) and len(warnings) == 1 and "the manifest is unusable" in warnings[0]
    assert target(f"az://{container}/news/").publish(build()).uploaded == ()


def test_account_url_with_key_and_with_sas(azurite: Azurite) -> None:
    from azure.storage.blob import AccountSasPermissions, ResourceTypes, generate_account_sas

    container = azurite.make_container()
    base = {"AZURE_STORAGE_ACCOUNT_URL": azurite.endpoint}
    assert target(f"az://{container}/k/", env={**base, "AZURE_STORAGE_KEY": KEY}).publish(build()).failed == ()
    sas = generate_account_sas(
        ACCOUNT,
        KEY,
        resource_types=ResourceTypes(container=True, object=True),
        permission=AccountSasPermissions(read=True, write=True, list=True, delete=True, create=True),
        expiry=datetime.now(UTC) + timedelta(hours=1),
    )
    result = target(f"az://{container}/s/", env={**base, "AZURE_STORAGE_SAS_TOKEN": "?" + sas}).publish(build())
    assert len(result.uploaded) == len(build())
    assert target(f"az://{container}/s/", env={**base, "AZURE_STORAGE_SAS_TOKEN": sas}).publish(build()).uploaded == ()


def test_a_wrong_key_fails_in_one_line_without_the_secret(azurite: Azurite) -> None:
    container = azurite.make_container()
    wrong = "d3Jvbmcta2V5LXZhbHVlLTEyMzQ1Njc4OTA="
    env = {"AZURE_STORAGE_ACCOUNT_URL": azurite.endpoint, "AZURE_STORAGE_KEY": wrong}
    with pytest.raises(PublishError) as info:
        target(f"az://{container}/news/", env=env).publish(build())
    message = str(info.value)
    assert "\n" not in message and wrong not in message and KEY not in message
    assert message.startswith(f"Azure endpoint {azurite.endpoint}, container {container}: ")
    assert message.endswith(("(AuthenticationFailed)", "(AuthorizationFailure)"))  # Azure's code, Azurite's code


def test_a_wrong_sas_is_scrubbed(azurite: Azurite) -> None:
    container = azurite.make_container()
    sas = "sv=2023-11-03&ss=b&srt=sco&sp=rwdlac&se=2099-01-01T00:00:00Z&sig=c2VjcmV0LXNpZ25hdHVyZQ%3D%3D"
    env = {"AZURE_STORAGE_ACCOUNT_URL": azurite.endpoint, "AZURE_STORAGE_SAS_TOKEN": sas}
    with pytest.raises(PublishError) as info:
        target(f"az://{container}/news/", env=env).publish(build())
    assert "c2VjcmV0LXNpZ25hdHVyZQ" not in str(info.value) and "\n" not in str(info.value)


def test_a_missing_container_condemns_the_run(azurite: Azurite) -> None:
    with pytest.raises(PublishError, match="the container does not exist"):
        target("az://no-such-container/news/").publish(build())


def test_the_store_going_away_mid_run_ends_in_one_line_and_the_next_run_completes(azurite: Azurite) -> None:
    container = azurite.make_container()
    url = f"az://{container}/news/"
    progress_seen: list[int] = []

    def stop_after_first(done: int, total: int) -> None:
        progress_seen.append(done)
        if len(progress_seen) == 1:
            azurite.stop()  # the store goes away while the first uploads are under way

    try:
        with pytest.raises(PublishIncomplete) as info:
            target(url, workers=1, max_attempts=1).publish(build(), progress=stop_after_first)
    finally:
        azurite.start()
    message = str(info.value)
    assert "\n" not in message and KEY not in message
    assert "cannot connect" in message or "closed the connection" in message  # a pooled connection, or a new one
    assert MANIFEST_NAME not in {n.removeprefix("news/") for n in blobs(azurite, container)}
    result = target(url).publish(build())  # the next run completes it
    assert set(result.uploaded) | set(result.unchanged) == {f.name for f in build()}
    assert target(url).publish(build()).uploaded == ()


def test_targets_are_checked() -> None:
    assert parse_az_url("az://feeds/news") == ("feeds", "news/")
    assert parse_az_url("az://feeds") == ("feeds", "")
    for bad in ("az://Feeds/x/", "az://a/x/", "az://feeds--x/", "az://feeds/a//b/", "az://key@feeds/x/", "az://feeds/x/?sig=1"):
        with pytest.raises(ConfigError):
            parse_az_url(bad)


def test_no_credentials_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"no credentials found .*AZURE_STORAGE_CONNECTION_STRING"):
        target("az://feeds/news/", env={})
    with pytest.raises(ConfigError, match="no credentials"):
        target("az://feeds/news/", env={"AZURE_STORAGE_ACCOUNT": "acct"})


def test_lock_key_is_one_for_one_place() -> None:
    env = {"AZURE_STORAGE_ACCOUNT_URL": "https://Acct.blob.core.windows.net/", "AZURE_STORAGE_KEY": KEY}
    keys = {target(url, env=env).lock_key() for url in ("az://feeds/news", "az://feeds/news/", "az://feeds//news/")}
    assert keys == {"az https://acct.blob.core.windows.net feeds news/"}
    other = target("az://feeds/other/", env=env).lock_key()
    assert other != keys.pop()


# -- the command line ------------------------------------------------------------------


def test_cli_publish_json_fields_then_unchanged(azurite: Azurite) -> None:
    container = azurite.make_container()
    args = ["--source", str(FIXTURE_SITE), "--target", f"az://{container}/news/", "--base-url", "https://f.test/", "--json"]
    p = cli(*args)
    assert p.returncode == 0, p.stderr
    report = json.loads(p.stdout)["publish"]
    assert report["target"] == {"kind": "az", "container": container, "prefix": "news/", "endpoint": azurite.endpoint}
    assert "robots.xml" in report["uploaded"] and report["failed"] == []
    assert KEY not in p.stdout + p.stderr
    p = cli(*args)
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["publish"]["uploaded"] == []


def test_cli_wrong_key_exits_3_with_one_line(azurite: Azurite) -> None:
    container = azurite.make_container()
    env = {k: v for k, v in os.environ.items() if k not in AZURE_VARIABLES}
    env.update(AZURE_STORAGE_ACCOUNT_URL=azurite.endpoint, AZURE_STORAGE_KEY="d3Jvbmcta2V5LXZhbHVlLTEyMzQ1Njc4OTA=")
    p = cli("--source", str(FIXTURE_SITE), "--target", f"az://{container}/x/", "--base-url", "https://f.test/", env=env)
    assert p.returncode == 3
    last = p.stderr.strip().splitlines()[-1]  # after the fixture's broken article
    assert last.startswith("feedpub: error: Azure endpoint") and container in last and "wrong key or SAS" in last
    assert "d3Jvbmcta2V5" not in p.stderr and "Traceback" not in p.stderr


def test_cli_store_down_exits_3_with_one_line(azurite: Azurite) -> None:
    container = azurite.make_container()
    azurite.stop()
    try:
        p = cli("--source", str(FIXTURE_SITE), "--target", f"az://{container}/x/", "--base-url", "https://f.test/")
    finally:
        azurite.start()
    assert p.returncode == 3
    last = p.stderr.strip().splitlines()[-1]
    assert last.startswith("feedpub: error: ") and azurite.endpoint in last and "cannot connect" in last
    assert "Traceback" not in p.stderr


def test_cli_without_the_extra_exits_2_naming_the_pip_command(tmp_path: Path) -> None:
    # The SDK made unimportable, as on an install without feedpub[azure].
    code = "import sys; sys.modules['azure'] = None; from feedpub.entry import main; sys.exit(main())"
    args = ["publish", "--source", str(FIXTURE_SITE), "--target", "az://feeds/news/", "--base-url", "https://f.test/"]
    p = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=120)
    assert p.returncode == 2
    lines = p.stderr.strip().splitlines()
    need = "feedpub: error: az://feeds/news/: Azure Blob Storage needs the azure extra: pip install 'feedpub[azure]' (azure"
    assert len(lines) == 1 and lines[0].startswith(need) and lines[0].endswith(" is missing)")


def test_cli_az_needs_base_url(azurite: Azurite) -> None:
    p = cli("--source", str(FIXTURE_SITE), "--target", "az://feeds/news/")
    assert p.returncode == 2 and "--base-url" in p.stderr


# -- per-object rules, gzip, header changes, --force (the rules decided in publish/rules.py) --


def test_rules_gzip_and_header_changes_reupload_exactly_what_they_affect(azurite: Azurite) -> None:
    import gzip

    container = azurite.make_container(public=True)
    url = f"az://{container}/news/"
    rules = [{"match": "*.atom", "gzip": True, "cache_control": "max-age=60"}]
    files = build()
    first = target(url, rules=rules).publish(files)
    assert len(first.uploaded) == len(files)
    props = blobs(azurite, container)
    atom = next(f for f in files if f.name.endswith(".atom"))
    stored = props["news/" + atom.name]
    assert stored.content_settings.content_encoding == "gzip" and stored.content_settings.cache_control == "max-age=60"
    raw = azurite.service().get_blob_client(container, "news/" + atom.name).download_blob(decompress=False).readall()
    assert gzip.decompress(raw) == atom.data
    answer = requests.get(f"{azurite.endpoint}/{container}/news/{atom.name}", timeout=10)  # decoded, as readers do
    assert answer.headers["Content-Encoding"] == "gzip" and answer.content == atom.data
    assert props["news/ai.xml"].content_settings.content_encoding in (None, "")

    count = len(azurite.puts(container))
    assert target(url, rules=rules).publish(files).uploaded == ()
    assert len(azurite.puts(container)) == count  # gzip is deterministic: nothing to upload

    changed = [{"match": "*.atom", "gzip": True, "cache_control": "max-age=120"}]
    result = target(url, rules=changed).publish(files)
    assert sorted(result.uploaded) == sorted(f.name for f in files if f.name.endswith(".atom"))
    assert blobs(azurite, container)["news/" + atom.name].content_settings.cache_control == "max-age=120"

    assert sorted(target(url, rules=changed).publish(files, force=True).uploaded) == sorted(f.name for f in files)


def test_cli_dry_run_names_each_blob_and_writes_nothing(azurite: Azurite) -> None:
    container = azurite.make_container()
    p = cli("--source", str(FIXTURE_SITE), "--target", f"az://{container}/d/", "--base-url", "https://f.test/", "--dry-run")
    assert p.returncode == 0, p.stderr
    assert f"(dryrun) upload: robots.xml to az://{container}/d/robots.xml" in p.stdout
    assert blobs(azurite, container) == {} and azurite.puts(container) == []


# -- bounds and the lock -----------------------------------------------------------------


@pytest.mark.parametrize("mode", ["trickle", "stall"])
def test_an_endpoint_that_never_finishes_is_cut_at_the_request_bound(mode: str) -> None:
    with slow(mode) as server:
        env = {"AZURE_STORAGE_ACCOUNT_URL": f"{server.url}/{ACCOUNT}", "AZURE_STORAGE_KEY": KEY}
        store = target("az://feeds/news/", env=env, request_timeout=2)
        with pytest.raises(PublishError) as info:
            store.publish(build())
        assert server.wait_hung_up(1) >= 1  # the request was cut, not left reading in a stray thread
    assert str(info.value) == f"Azure endpoint {server.url}/{ACCOUNT}, container feeds: no complete answer within 2 s"
    assert info.value.exit_status == 3


def test_the_run_deadline_is_named_when_it_comes_first() -> None:
    with slow() as server:
        env = {"AZURE_STORAGE_ACCOUNT_URL": f"{server.url}/{ACCOUNT}", "AZURE_STORAGE_KEY": KEY}
        store = AzureTarget("az://feeds/news/", PublishSettings(), env=env, deadline=Deadline.after(2))
        with pytest.raises(PublishError) as info:
            store.publish(build())
    assert str(info.value).endswith("still waiting for an answer at the deadline (publish.deadline: 2 s)")


def test_a_second_run_on_the_same_container_and_prefix_exits_4(azurite: Azurite) -> None:
    container = azurite.make_container()
    held = target(f"az://{container}/news").lock_key()  # another spelling of the same place
    with acquire_lock(lock_file(held)):
        p = cli("--source", str(FIXTURE_SITE), "--target", f"az://{container}/news/", "--base-url", "https://f.test/")
    assert p.returncode == 4 and "another feedpub run holds the lock" in p.stderr
    assert azurite.puts(container) == []
