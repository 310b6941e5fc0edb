package compose

import (
	_ "embed"

	"github.com/hoodcloud/infra/internal/render"
)

// Every script is an embedded file rendered by a pure function of its parameters, so the same Args give
// byte-identical scripts and a step re-runs exactly when what it does changes.
var (
	//go:embed scripts/project.sh.tmpl
	projectTemplate string
	//go:embed scripts/upload.sh.tmpl
	uploadTemplate string
	//go:embed scripts/login.sh.tmpl
	loginTemplate string
	//go:embed scripts/deploy.sh.tmpl
	deployTemplate string
	//go:embed scripts/deploy-unchanged.sh.tmpl
	deployUnchangedTemplate string
)

// ReceiptDir holds each project's last deploy receipt on its host (root-only): outside the project
// directory, whose files the upload step keeps equal to the bundle.
const ReceiptDir = "/var/lib/hoodcloud/deploy-receipts"

// receiptFile is where the deploy of project keeps its receipt in dir.
func receiptFile(dir, project string) string { return dir + "/" + project }

// DirParams place a compose project on its host.
type DirParams struct {
	Project string
	// Dir is the absolute project directory on the host: the bundle, the .env, `--project-directory`.
	Dir string
}

// LoginParams are the non-secret half of a registry login; the password travels on stdin.
type LoginParams struct {
	Server, Username string
}

// DeployParams are everything the deploy script does, in order.
type DeployParams struct {
	DirParams
	Layout
	// WaitAttempts and WaitInterval (seconds) bound both the wait for healthy data services and the
	// health verification.
	WaitAttempts, WaitInterval int
	// ReceiptDir is where the deploy keeps its last receipt (ReceiptDir on a host).
	ReceiptDir string
}

type dirData struct {
	DirParams
	EnvFile string
}

// RenderProject renders the anchor step's script (creates the project directory).
func RenderProject(p DirParams) (string, error) {
	return render.Template("project.sh", projectTemplate, dirData{p, EnvFileName})
}

// RenderUpload renders the upload step's script (stdin: UploadStream).
func RenderUpload(p DirParams) (string, error) {
	return render.Template("upload.sh", uploadTemplate, dirData{p, EnvFileName})
}

// RenderLogin renders the registry login script (stdin: the password).
func RenderLogin(p LoginParams) (string, error) {
	return render.Template("login.sh", loginTemplate, p)
}

// RenderDeploy renders the deploy script. Every compose command reads the layout's files and then the
// generated override (OverrideFileName).
func RenderDeploy(p DeployParams) (string, error) {
	return render.Template("deploy.sh", deployTemplate, struct {
		DeployParams
		EnvFile     string
		ReceiptFile string
		Files       []string
	}{p, EnvFileName, receiptFile(p.ReceiptDir, p.Project), append(append([]string(nil), p.ComposeFiles...), OverrideFileName)})
}

// RenderDeployUnchanged renders the deploy step's update command: it prints the receipt the deploy of
// the same DeployParams kept.
func RenderDeployUnchanged(p DeployParams) (string, error) {
	return render.Template("deploy-unchanged.sh", deployUnchangedTemplate, struct{ ReceiptFile string }{receiptFile(p.ReceiptDir, p.Project)})
}
