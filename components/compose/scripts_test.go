package compose

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/hoodcloud/infra/internal/testkit"
)

func hostDir(project string) DirParams {
	return DirParams{Project: project, Dir: StacksDir + "/" + project}
}

// renderedScripts are the scripts of both fixture stacks, as a real host gets them.
func renderedScripts(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	add := func(name string, s string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		out[name] = s
	}
	s, err := RenderProject(hostDir("hoodcloud"))
	add("project.sh", s, err)
	s, err = RenderUpload(hostDir("hoodcloud"))
	add("upload.sh", s, err)
	s, err = RenderLogin(LoginParams{Server: "registry.hoodcloud.io", Username: "deploy"})
	add("login.sh", s, err)
	cp := DeployParams{DirParams: hostDir("hoodcloud"), Layout: ControlPlane(), WaitAttempts: DefaultWaitAttempts, WaitInterval: DefaultWaitInterval, ReceiptDir: ReceiptDir}
	s, err = RenderDeploy(cp)
	add("deploy-control-plane.sh", s, err)
	s, err = RenderDeploy(DeployParams{DirParams: hostDir("hoodcloud-payment"), Layout: Payment(), WaitAttempts: DefaultWaitAttempts, WaitInterval: DefaultWaitInterval, ReceiptDir: ReceiptDir})
	add("deploy-payment.sh", s, err)
	s, err = RenderDeployUnchanged(cp)
	add("deploy-unchanged.sh", s, err)
	return out
}

func TestScriptsGolden(t *testing.T) {
	for name, script := range renderedScripts(t) {
		testkit.Golden(t, strings.TrimSuffix(name, ".sh")+".sh.golden", script)
	}
}

func TestScriptsPassShellcheck(t *testing.T) {
	for name, script := range renderedScripts(t) {
		if !strings.HasPrefix(script, "#!/usr/bin/env bash\n") || !strings.Contains(script, "\nset -euo pipefail\n") {
			t.Errorf("%s: expected the bash shebang and set -euo pipefail", name)
		}
		testkit.Shellcheck(t, name, script)
	}
}

// TestDeployScriptIsData: the services and checks of the layout are rendered as shell-quoted data, in
// the layout's order.
func TestDeployScriptIsData(t *testing.T) {
	s := renderedScripts(t)["deploy-control-plane.sh"]
	for _, want := range []string{
		"data_services=( 'postgres' 'redis' 'nats' )",
		"migrate_service='migrate'",
		"app_services=( 'temporal' 'temporal-ui' 'api' ",
		"check_kinds=( 'container' 'container' 'container' 'tcp' ",
		"'http://127.0.0.1:8080/health'",
		"attempts=90\ninterval=2\n",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("deploy script lacks %q", want)
		}
	}
	data, migrate, apps := strings.Index(s, "compose up --detach --quiet-pull \"${data_services[@]}\""),
		strings.Index(s, "compose run --rm --no-deps -T \"$migrate_service\""),
		strings.Index(s, "compose up --detach --quiet-pull --remove-orphans \"${app_services[@]}\"")
	if data < 0 || migrate < data || apps < migrate {
		t.Fatalf("expected data up < migrate run < application up in the script, found %d, %d, %d", data, migrate, apps)
	}
}

// TestUploadSyncsTheDirectory runs the upload script on a local directory: the directory ends up holding
// exactly the bundle and its .env; unchanged files keep their inode, removed files disappear.
func TestUploadSyncsTheDirectory(t *testing.T) {
	bash := testkit.RequireTool(t, "bash")
	testkit.RequireTool(t, "tar")
	dir := filepath.Join(t.TempDir(), "stacks", "demo")
	script, err := RenderUpload(DirParams{Project: "demo", Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	upload := func(files map[string]string, env string) {
		t.Helper()
		stream, err := mustBundle(t, writeBundle(t, files)).UploadStream(env, "services: {}\n")
		if err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(bash, "-c", script)
		cmd.Stdin = strings.NewReader(stream)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("upload failed: %v\n%s", err, out)
		}
	}
	upload(map[string]string{"docker-compose.yml": "v1\n", "config/keep.conf": "same\n", "config/old/gone.conf": "x\n"}, "A=1\n")
	keepIno := inode(t, filepath.Join(dir, "config/keep.conf"))
	upload(map[string]string{"docker-compose.yml": "v2\n", "config/keep.conf": "same\n", "config/new.conf": "n\n"}, "A=2\n")

	got := map[string]string{}
	err = filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			b, _ := os.ReadFile(p)
			rel, _ := filepath.Rel(dir, p)
			got[rel] = string(b)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"docker-compose.yml": "v2\n", "config/keep.conf": "same\n", "config/new.conf": "n\n", ".env": "A=2\n",
		OverrideFileName: "services: {}\n"}
	if len(got) != len(want) {
		t.Errorf("directory holds %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "config/old")); !os.IsNotExist(err) {
		t.Errorf("the emptied directory config/old must be removed: %v", err)
	}
	if inode(t, filepath.Join(dir, "config/keep.conf")) != keepIno {
		t.Error("an unchanged file was replaced: a container's bind mount of it would go stale")
	}
	if leftovers, _ := filepath.Glob(dir + ".upload.*"); len(leftovers) > 0 {
		t.Errorf("staging directories left behind: %v", leftovers)
	}

	bad := exec.Command(bash, "-c", script)
	bad.Stdin = strings.NewReader("not base64 at all!")
	if out, err := bad.CombinedOutput(); err == nil || !strings.Contains(string(out), "not a base64 tar stream") {
		t.Errorf("garbage on stdin must fail the upload, got %v\n%s", err, out)
	}
}

// TestLoginPasswordOnStdinOnly runs the login script against a fake docker: the password reaches docker
// on stdin, never in its arguments or environment.
func TestLoginPasswordOnStdinOnly(t *testing.T) {
	bash := testkit.RequireTool(t, "bash")
	const password = "fixture-registry-password-e8b1c4"
	script, err := RenderLogin(LoginParams{Server: "registry.hoodcloud.io", Username: "deploy"})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(script, password) {
		t.Fatal("the password is in the script")
	}
	tmp := t.TempDir()
	bin := filepath.Join(tmp, "bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	fake, err := os.ReadFile("testdata/fake-docker")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bin, "docker"), fake, 0o755); err != nil {
		t.Fatal(err)
	}
	files := map[string]string{"FAKE_DOCKER_ARGS": "", "FAKE_DOCKER_STDIN": "", "FAKE_DOCKER_ENV": ""}
	cmd := exec.Command(bash, "-c", script)
	cmd.Env = append(os.Environ(), "PATH="+bin+":"+os.Getenv("PATH"))
	for k := range files {
		files[k] = filepath.Join(tmp, k)
		cmd.Env = append(cmd.Env, k+"="+files[k])
	}
	cmd.Stdin = strings.NewReader(password)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("login: %v\n%s", err, out)
	}
	read := func(k string) string { b, _ := os.ReadFile(files[k]); return string(b) }
	if read("FAKE_DOCKER_STDIN") != password {
		t.Errorf("docker's stdin = %q, want the password", read("FAKE_DOCKER_STDIN"))
	}
	if args := read("FAKE_DOCKER_ARGS"); args != "login\n--username\ndeploy\n--password-stdin\nregistry.hoodcloud.io\n" {
		t.Errorf("docker's arguments = %q", args)
	}
	if strings.Contains(read("FAKE_DOCKER_ENV"), password) || strings.Contains(string(out), password) {
		t.Error("the password leaked into docker's environment or the script's output")
	}
}

func inode(t *testing.T, p string) uint64 {
	t.Helper()
	st, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	return st.Sys().(*syscall.Stat_t).Ino
}
