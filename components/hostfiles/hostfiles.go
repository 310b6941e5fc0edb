// Package hostfiles installs a set of files on a host over SSH: certificates and keys from the PKI, AppRole
// credentials, NATS credentials. Contents travel only on the step's stdin (secret), never in the command;
// the step re-runs exactly when a file's content hash changes, so a rotated certificate reaches its host
// and nothing else moves.
package hostfiles

import (
	_ "embed"
	"encoding/base64"
	"errors"
	"fmt"
	"path"
	"regexp"
	"sort"
	"strings"

	"github.com/pulumi/pulumi-command/sdk/go/command/remote"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/hoodcloud/infra/internal/component"
	"github.com/hoodcloud/infra/internal/contenthash"
	"github.com/hoodcloud/infra/internal/remotestep"
	"github.com/hoodcloud/infra/internal/render"
)

// TypeToken is the Pulumi type of the component.
const TypeToken = "hoodcloud:host:Files"

// Root is the only directory the step writes under.
const Root = "/opt/hoodcloud"

//go:embed install-files.sh.tmpl
var scriptTemplate string

var modeRe = regexp.MustCompile(`^0[0-7]{3}$`)

// File is one file to install. Its content may be secret.
type File struct {
	Path    string
	Mode    string
	Content pulumi.StringInput
}

// Args configures the step.
type Args struct {
	Host  remotestep.Target
	Files []File
	// DirMode is the mode of directories the step creates (0711: listable by root only).
	DirMode string
	// DependsOn are steps that must run first (the host baseline).
	DependsOn []pulumi.Resource
}

// Validate reports every problem at once.
func (a *Args) Validate() error {
	var errs []error
	errs = append(errs, a.Host.Problems("hoodcloud:files")...)
	if len(a.Files) == 0 {
		errs = append(errs, errors.New("hoodcloud:files: expected at least one file, found none"))
	}
	seen := map[string]bool{}
	for i, f := range a.Files {
		clean := path.Clean(f.Path)
		if clean != f.Path || !strings.HasPrefix(f.Path, Root+"/") || strings.ContainsAny(f.Path, " \t\n") {
			errs = append(errs, fmt.Errorf("hoodcloud:files[%d]: expected a clean absolute path under %s without spaces, found %q", i, Root, f.Path))
		}
		if seen[f.Path] {
			errs = append(errs, fmt.Errorf("hoodcloud:files[%d]: expected each path once, found %q twice", i, f.Path))
		}
		seen[f.Path] = true
		if !modeRe.MatchString(f.Mode) {
			errs = append(errs, fmt.Errorf("hoodcloud:files[%d]: expected an octal mode such as 0644, found %q", i, f.Mode))
		}
		if f.Content == nil {
			errs = append(errs, fmt.Errorf("hoodcloud:files[%d]: expected content for %s, found none", i, f.Path))
		}
	}
	if a.DirMode != "" && !modeRe.MatchString(a.DirMode) {
		errs = append(errs, fmt.Errorf("hoodcloud:files: expected an octal directory mode, found %q", a.DirMode))
	}
	return errors.Join(errs...)
}

// Files is the installed set.
type Files struct {
	pulumi.ResourceState

	// Hash is the content hash of every file (secret: it is derived from secret content).
	Hash pulumi.StringOutput
	// Step is the remote command; consumers that read the files depend on it.
	Step *remote.Command
}

// RenderScript renders the install script for a root directory.
func RenderScript(root, dirMode string) (string, error) {
	return render.Template("install-files.sh", scriptTemplate, struct{ Root, DirMode string }{root, dirMode})
}

// Encode frames files as the script's stdin; files are sorted by path so the stream is deterministic.
func Encode(files map[string][2]string) string {
	paths := make([]string, 0, len(files))
	for p := range files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	var b strings.Builder
	for _, p := range paths {
		b.WriteString(p + " " + files[p][0] + " " + base64.StdEncoding.EncodeToString([]byte(files[p][1])) + "\n")
	}
	return b.String()
}

// New installs the files.
func New(ctx *pulumi.Context, name string, args *Args, opts ...pulumi.ResourceOption) (*Files, error) {
	if err := args.Validate(); err != nil {
		return nil, component.Wrap(TypeToken, name, err)
	}
	f := &Files{}
	if err := component.Register(ctx, TypeToken, name, f, opts...); err != nil {
		return nil, err
	}
	dirMode := args.DirMode
	if dirMode == "" {
		dirMode = "0711"
	}
	script, err := RenderScript(Root, dirMode)
	if err != nil {
		return nil, component.Wrap(TypeToken, name, err)
	}
	contents := make([]any, 0, len(args.Files))
	for _, file := range args.Files {
		contents = append(contents, file.Content)
	}
	files := args.Files
	stream := pulumi.All(contents...).ApplyT(func(vs []any) []string {
		set := map[string][2]string{}
		hashParts := map[string]string{}
		for i, v := range vs {
			set[files[i].Path] = [2]string{files[i].Mode, v.(string)}
			hashParts[files[i].Path] = files[i].Mode + "\n" + v.(string)
		}
		return []string{Encode(set), contenthash.OfFiles(hashParts)}
	}).(pulumi.StringArrayOutput)
	f.Hash = component.Secret(stream.Index(pulumi.Int(1)))
	f.Step, err = remotestep.Run(ctx, name+"-install", args.Host, remotestep.Step{
		Script:    script,
		Stdin:     stream.Index(pulumi.Int(0)),
		Sensitive: true,
		Hashes:    []pulumi.StringInput{f.Hash},
	}, component.Child(f, pulumi.DependsOn(args.DependsOn))...)
	if err != nil {
		return nil, component.Wrap(TypeToken, name, err)
	}
	return f, component.Finish(ctx, TypeToken, name, f, pulumi.Map{"hash": f.Hash})
}
