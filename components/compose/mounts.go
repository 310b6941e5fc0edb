package compose

import (
	_ "embed"
	"path/filepath"
	"sort"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/hoodcloud/infra/internal/contenthash"
	"github.com/hoodcloud/infra/internal/render"
)

//go:embed templates/override.yml.tmpl
var overrideTemplate string

const (
	// OverrideFileName is the compose override the component ships beside the bundle and passes last
	// to every `docker compose` command: the mount labels below.
	OverrideFileName = ".hoodcloud.override.yml"
	// HostSecretsDir holds the certificates and credentials services mount (guide 2.3).
	HostSecretsDir = "/opt/hoodcloud/secrets"
	// BundleMountsLabel carries the hash of the bundle files a service mounts.
	BundleMountsLabel = "org.hoodcloud.bundle-mounts"
	// SecretsLabel carries the hash of the stack's ExtraHashes on services that mount HostSecretsDir.
	SecretsLabel = "org.hoodcloud.secrets"
)

// MountPlan is which files each service mounts, as far as a redeploy cares.
type MountPlan struct {
	// Files maps a service to the bundle files it bind-mounts or uses as configs/secrets (sorted).
	Files map[string][]string
	// Secrets lists the services bind-mounting anything under HostSecretsDir (sorted).
	Secrets []string
}

// planMounts reads the mounts of every service of the loaded project; bundleAbs is the absolute bundle
// directory the project was loaded from (the loader resolves relative sources against it).
func planMounts(p *types.Project, bundleAbs string, b *Bundle) MountPlan {
	plan := MountPlan{Files: map[string][]string{}}
	services := p.AllServices()
	for _, name := range sortedKeys(services) {
		s := services[name]
		files, secrets := map[string]bool{}, false
		visit := func(source string) {
			for _, f := range bundleFilesUnder(b, bundleAbs, source) {
				files[f] = true
			}
		}
		for _, v := range s.Volumes {
			if v.Type != types.VolumeTypeBind {
				continue
			}
			// Certificates and AppRole credentials are bind-mounted directories; compose `secrets:`
			// (database passwords) are left out, so a certificate rotation never restarts a database.
			if v.Source == HostSecretsDir || strings.HasPrefix(v.Source, HostSecretsDir+"/") {
				secrets = true
			}
			visit(v.Source)
		}
		for _, c := range s.Configs {
			visit(p.Configs[c.Source].File)
		}
		for _, sec := range s.Secrets {
			visit(p.Secrets[sec.Source].File)
		}
		if len(files) > 0 {
			plan.Files[name] = sortedKeys(files)
		}
		if secrets {
			plan.Secrets = append(plan.Secrets, name)
		}
	}
	return plan
}

// bundleFilesUnder returns the bundle files at or under source, when source lies in the bundle.
func bundleFilesUnder(b *Bundle, bundleAbs, source string) []string {
	rel, err := filepath.Rel(bundleAbs, source)
	if err != nil || rel == ".." || strings.HasPrefix(rel, "../") {
		return nil
	}
	rel = filepath.ToSlash(rel)
	var out []string
	for _, f := range b.Files {
		if source != "" && (rel == "." || f.Name == rel || strings.HasPrefix(f.Name, rel+"/")) {
			out = append(out, f.Name)
		}
	}
	return out
}

// RenderOverride renders the override: per service, the hash of the bundle files it mounts and, when
// the stack has extra hashes (certificates), their digest on every service mounting HostSecretsDir.
func RenderOverride(plan MountPlan, b *Bundle, extraDigest string) (string, error) {
	type service struct{ Name, Bundle, Secrets string }
	byName := map[string]*service{}
	get := func(n string) *service {
		if byName[n] == nil {
			byName[n] = &service{Name: n}
		}
		return byName[n]
	}
	for name, files := range plan.Files {
		parts := make([]string, 0, 2*len(files))
		for _, f := range files {
			bf, _ := b.File(f)
			parts = append(parts, f, string(bf.Content))
		}
		get(name).Bundle = contenthash.Of(parts...)
	}
	if extraDigest != "" {
		for _, name := range plan.Secrets {
			get(name).Secrets = extraDigest
		}
	}
	services := make([]service, 0, len(byName))
	for _, s := range byName {
		services = append(services, *s)
	}
	sort.Slice(services, func(i, j int) bool { return services[i].Name < services[j].Name })
	return render.Template("override.yml", overrideTemplate, struct {
		Services                  []service
		BundleLabel, SecretsLabel string
	}{services, BundleMountsLabel, SecretsLabel})
}

// extraDigest folds the stack's extra hashes into one label value ("" for none).
func extraDigest(hashes []string) string {
	if len(hashes) == 0 {
		return ""
	}
	return contenthash.Of(hashes...)
}

// used lists every bundle file some service of the project mounts, sorted.
func (m MountPlan) used() []string {
	set := map[string]bool{}
	for _, files := range m.Files {
		for _, f := range files {
			set[f] = true
		}
	}
	return sortedKeys(set)
}
