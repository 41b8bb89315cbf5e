"""parleyd's command line: --version, --list-plugins, --check-config, and the
loader's one-line refusals of files that are not (compatible) parley plugins."""
import glob
import os
import shutil
import stat

import pytest

from parley_it import run_parleyd, TEST_PLUGIN_DIR


@pytest.fixture
def plugdir(tmp_path):
    d = tmp_path / "plugins"
    d.mkdir()
    shutil.copy(os.path.join(TEST_PLUGIN_DIR, "testconn.so"), d / "testconn.so")
    return d


def libz():
    found = sorted(glob.glob("/lib/*/libz.so.1") + glob.glob("/usr/lib/*/libz.so.1"))
    assert found, "zlib not installed"
    return found[0]


def bad_plugins(d):
    shutil.copy(libz(), d / "libz.so")
    shutil.copy(os.path.join(TEST_PLUGIN_DIR, "badabi.so"), d / "badabi.so")
    shutil.copy(os.path.join(TEST_PLUGIN_DIR, "noentry.so"), d / "noentry.so")
    data = open(os.path.join(TEST_PLUGIN_DIR, "testconn.so"), "rb").read()
    (d / "truncated.so").write_bytes(data[:2000])
    (d / "text.so").write_text("not a plugin\n")
    ww = d / "writable.so"
    shutil.copy(os.path.join(TEST_PLUGIN_DIR, "testconn.so"), ww)
    os.chmod(ww, 0o666)


def test_version_names_the_abi():
    r = run_parleyd("--version")
    assert r.returncode == 0 and "connector ABI 1.1" in r.stdout


def test_list_plugins_describes_options_from_the_table(plugdir):
    r = run_parleyd("--list-plugins", "--plugin-dir", str(plugdir))
    assert r.returncode == 0, r.stderr
    assert "testconn 1.0.0 (connector, ABI 1.1, platform test)" in r.stdout
    assert "interval" in r.stdout and "duration" in r.stdout and "(default 10ms)" in r.stdout
    assert "ndjson (output, built in)" in r.stdout


def test_list_plugins_skips_bad_files_with_one_line_each(plugdir):
    bad_plugins(plugdir)
    r = run_parleyd("--list-plugins", "--plugin-dir", str(plugdir))
    assert r.returncode == 0, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 6, r.stderr
    err = r.stderr
    assert "libz.so: not a parley plugin (no symbol parley_connector_entry)" in err
    assert "noentry.so: not a parley plugin" in err
    assert "badabi.so: plugin built for ABI 2.0, this parley speaks 1.1" in err
    assert "truncated.so" in err
    assert "text.so: not an ELF shared object" in err
    assert "writable.so: refusing to load a world-writable plugin" in err
    assert "testconn 1.0.0" in r.stdout


def plugin_refusal(path):
    """parleyd's one line about the plugin at path ("" when it loads)."""
    r = run_parleyd("--list-plugins", "--plugin-dir", str(path.parent))
    assert r.returncode == 0, r.stderr
    loaded = "testconn 1.0.0" in r.stdout
    assert loaded == (r.stderr.strip() == ""), (r.stdout, r.stderr)
    line = r.stderr.strip()
    assert line == "" or line.startswith("parleyd: skipped "), line
    return line.removeprefix("parleyd: skipped ")


def shared_group():
    """A group that is not root's own: another user's primary group."""
    import grp
    import pwd
    for p in pwd.getpwall():
        if p.pw_uid != 0 and p.pw_gid != 0:
            return grp.getgrgid(p.pw_gid).gr_gid, grp.getgrgid(p.pw_gid).gr_name
    pytest.fail("no user with a primary group of its own on this machine")


def test_group_writable_plugin_loads_only_when_the_group_is_the_owners_own(plugdir):
    """umask 002 builds (user private groups) still load; a group others share
    could swap the code, so such a file or directory is refused by name."""
    so = plugdir / "testconn.so"
    os.chmod(so, 0o664)
    os.chmod(plugdir, 0o775)
    if os.geteuid() != 0:
        pytest.skip("chown to another group needs root")
    assert plugin_refusal(so) == ""  # root:root, 0664 / 0775: the owner's own group
    gid, name = shared_group()
    os.chown(so, 0, gid)
    assert plugin_refusal(so) == (f"{so}: refusing to load a group-writable plugin: group "
                                  f"'{name}' is not the owner's own private group (chmod g-w)")
    os.chmod(so, 0o644)  # only readable by the group: fine
    assert plugin_refusal(so) == ""
    os.chown(plugdir, 0, gid)
    assert plugin_refusal(so) == (f"{so}: refusing to load a plugin from a group-writable "
                                  f"directory: {plugdir} (group '{name}' is not its owner's own "
                                  "private group; chmod g-w)")


def test_plugins_others_could_change_are_refused_by_name(plugdir):
    so = plugdir / "testconn.so"
    os.chmod(plugdir, 0o777)
    assert plugin_refusal(so) == (f"{so}: refusing to load a plugin from a world-writable "
                                  f"directory: {plugdir} (chmod o-w, or +t)")
    os.chmod(plugdir, 0o1777)  # sticky, like /tmp: others cannot replace our file
    assert plugin_refusal(so) == ""
    os.chmod(plugdir, 0o755)
    # a symlink in the plugin dir: the real file's directory is checked too
    real = plugdir.parent / "elsewhere"
    real.mkdir()
    os.chmod(real, 0o777)
    os.replace(so, real / "testconn.so")
    os.symlink(real / "testconn.so", so)
    assert plugin_refusal(so) == (f"{so}: refusing to load a plugin from a world-writable "
                                  f"directory: {real} (chmod o-w, or +t)")
    os.chmod(real, 0o755)
    assert plugin_refusal(so) == ""
    if os.geteuid() == 0:
        os.chown(real / "testconn.so", 1, 1, follow_symlinks=True)
        assert plugin_refusal(so) == (f"{so}: refusing to load a plugin owned by uid 1 (only "
                                      "root or the daemon's own user, uid 0, may own a plugin)")


def write_config(tmp_path, plugdir, body):
    p = tmp_path / "parley.yaml"
    p.write_text(f"router:\n  listen: ''\n  plugin_dir: {plugdir}\n  journal: {tmp_path}/j\n" + body)
    return str(p)


OK = """connectors:
  - name: tc1
    plugin: testconn
    options:
      account: acme
      token: ${TC_TOKEN}
      interval: 5s
outputs:
  - name: out
    type: ndjson
routes:
  - match: {platform: test, kind: [mention, reply]}
    outputs: out
"""


def test_check_config_prints_what_would_run_without_secrets(tmp_path, plugdir, monkeypatch):
    monkeypatch.setenv("TC_TOKEN", "very-secret-value")
    r = run_parleyd("--check-config", write_config(tmp_path, plugdir, OK))
    assert r.returncode == 0, r.stderr
    assert "configuration OK" in r.stdout
    assert "connector tc1: testconn 1.0.0" in r.stdout
    assert "interval = 5000ms" in r.stdout and "token = ***" in r.stdout
    assert "platform=test kind=mention|reply -> out" in r.stdout
    assert "very-secret-value" not in r.stdout + r.stderr


@pytest.mark.parametrize("plugin, message", [
    ("badabi", "badabi.so: plugin built for ABI 2.0, this parley speaks 1.1"),
    ("noentry", "not a parley plugin"),
    ("nosuch", "plugin 'nosuch' not found"),
])
def test_check_config_refuses_bad_plugins_naming_the_file(tmp_path, plugdir, plugin, message,
                                                           monkeypatch):
    monkeypatch.setenv("TC_TOKEN", "x")
    shutil.copy(os.path.join(TEST_PLUGIN_DIR, "badabi.so"), plugdir / "badabi.so")
    shutil.copy(os.path.join(TEST_PLUGIN_DIR, "noentry.so"), plugdir / "noentry.so")
    body = OK.replace("plugin: testconn", f"plugin: {plugin}")
    r = run_parleyd("--check-config", write_config(tmp_path, plugdir, body))
    assert r.returncode == 1
    assert message in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr


@pytest.mark.parametrize("edit, expect", [
    (("    options:\n", "    opitons:\n"), ["parley.yaml:8:", "connectors[0].opitons"]),
    (("      interval: 5s", "      interval: 5 minutes"), ["parley.yaml:11:", "connectors[0].options.interval", "not a duration"]),
    (("      interval: 5s", "      intervall: 5s"), ["parley.yaml:11:", "connectors[0].options.intervall", "unknown option"]),
    (("${TC_TOKEN}", "${TC_MISSING}"), ["parley.yaml:10:", "connectors[0].options.token", "TC_MISSING"]),
])
def test_config_errors_name_file_line_and_key(tmp_path, plugdir, edit, expect, monkeypatch):
    monkeypatch.setenv("TC_TOKEN", "x")
    body = OK.replace(*edit)
    r = run_parleyd("--check-config", write_config(tmp_path, plugdir, body))
    assert r.returncode == 1, r.stdout
    for part in expect:
        assert part in r.stderr, r.stderr


def test_a_missing_required_option_is_named(tmp_path, plugdir, monkeypatch):
    monkeypatch.setenv("TC_TOKEN", "x")
    body = OK.replace("      account: acme\n", "")
    r = run_parleyd("--check-config", write_config(tmp_path, plugdir, body))
    assert r.returncode == 1 and "account" in r.stderr and "required" in r.stderr, r.stderr
