package compose

import (
	"context"
	"path/filepath"

	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/template"
	"github.com/compose-spec/compose-go/v2/types"
)

// bundleFiles is how compose-go reads a layout's compose files in dir as project: their details (with no
// environment yet) and the option that names the project.
func bundleFiles(dir, project string, l Layout) (types.ConfigDetails, func(*loader.Options), error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return types.ConfigDetails{}, nil, err
	}
	details := types.ConfigDetails{WorkingDir: abs}
	for _, f := range l.ComposeFiles {
		details.ConfigFiles = append(details.ConfigFiles, types.ConfigFile{Filename: filepath.Join(abs, filepath.FromSlash(f))})
	}
	return details, func(o *loader.Options) { o.SetProjectName(project, true) }, nil
}

// bundleVariables are the ${VAR}s the compose files use, read before any interpolation (compose-go would
// substitute an undefined one with "" and only warn).
func bundleVariables(details types.ConfigDetails, named func(*loader.Options)) (map[string]template.Variable, error) {
	model, err := loader.LoadModelWithContext(context.Background(), details, named,
		func(o *loader.Options) { o.SkipInterpolation, o.SkipValidation, o.SkipNormalization = true, true, true })
	if err != nil {
		return nil, err
	}
	return template.ExtractVariables(model, template.DefaultPattern), nil
}
