package rehearsal

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/hoodcloud/infra/components/compose"
	"github.com/hoodcloud/infra/stacks"
)

// ImageRegistry is where the rehearsal serves HoodCloud's own images: the stack's hoodcloud:imageRegistry
// (and its registryServer is the private registry, behind the htpasswd login the program performs).
func (r *Rehearsal) ImageRegistry() string { return r.Registries.Private.Addr + "/hoodcloud" }

// PushRelease serves release version of the bundles: the stand-in of every image both compose projects
// name, under its own name (Docker Hub's through the mirror, HoodCloud's in the private registry). With
// failingMigration, the release's cmd/migrate (the migrate image both stacks run) fails.
func (r *Rehearsal) PushRelease(ctx context.Context, bundleDir, version string, failingMigration bool) error {
	r.Phase("images of release " + version)
	vars := map[string]string{"IMAGE_REGISTRY": r.ImageRegistry(), "HOODCLOUD_VERSION": version}
	var refs []string
	for project, layout := range stacks.Layouts() {
		images, err := compose.Images(bundleDir, project, layout, vars)
		if err != nil {
			return err
		}
		refs = append(refs, images...)
	}
	slices.Sort(refs)
	refs = slices.Compact(refs)
	local, err := standInImages(ctx, r.opts, refs, r.ImageRegistry(), failingMigration)
	if err != nil {
		return err
	}
	for _, ref := range refs {
		reg, path := r.Registries.Mirror, hubPath(ref)
		if own, ok := strings.CutPrefix(ref, r.Registries.Private.Addr+"/"); ok {
			reg, path = r.Registries.Private, own
		}
		if err := r.Registries.push(ctx, reg, local[ref], path); err != nil {
			return fmt.Errorf("release %s: %w", version, err)
		}
	}
	return nil
}
