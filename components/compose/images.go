package compose

import (
	"context"
	"fmt"
	"sort"

	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"
)

// Images are the images a layout's compose files name, every profile's (the migration's) included, with
// vars substituted, sorted and each once: what a deploy of the bundle pulls. The rehearsal serves exactly
// these; an operator can mirror them.
func Images(dir, project string, l Layout, vars map[string]string) ([]string, error) {
	details, named, err := bundleFiles(dir, project, l)
	if err != nil {
		return nil, err
	}
	// Every variable the files use and vars does not set is empty, said so here rather than warned about
	// by compose-go for each use: only the images' variables matter.
	used, err := bundleVariables(details, named)
	if err != nil {
		return nil, fmt.Errorf("images of %s: %w", project, err)
	}
	env := types.Mapping{}
	for name := range used {
		env[name] = vars[name]
	}
	details.Environment = env
	p, err := loader.LoadWithContext(context.Background(), details, named, loader.WithProfiles([]string{"*"}))
	if err != nil {
		return nil, fmt.Errorf("images of %s: %w", project, err)
	}
	seen := map[string]bool{}
	var out []string
	for _, s := range p.AllServices() {
		if s.Image == "" {
			return nil, fmt.Errorf("images of %s: service %q names no image", project, s.Name)
		}
		if !seen[s.Image] {
			seen[s.Image] = true
			out = append(out, s.Image)
		}
	}
	sort.Strings(out)
	return out, nil
}
