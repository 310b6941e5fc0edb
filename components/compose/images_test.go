package compose

import (
	"slices"
	"testing"
)

// The images of the fixture bundle: every profile's, substituted, each once, sorted.
func TestImagesAreEveryServicesOnce(t *testing.T) {
	vars := map[string]string{"IMAGE_REGISTRY": "registry.example/hc", "HOODCLOUD_VERSION": "v9"}
	cp, err := Images("../../testdata/bundle", "hoodcloud", ControlPlane(), vars)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"registry.example/hc/migrate:v9", "registry.example/hc/api:v9", "postgres:16.4-alpine", "nats:2.10.22-alpine"} {
		if !slices.Contains(cp, want) {
			t.Errorf("control plane images %v lack %s", cp, want)
		}
	}
	if !slices.IsSorted(cp) || len(slices.Compact(slices.Clone(cp))) != len(cp) {
		t.Errorf("images must be sorted and unique: %v", cp)
	}
	pay, err := Images("../../testdata/bundle", "hoodcloud-payment", Payment(), vars)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"postgres:16.4-alpine", "registry.example/hc/migrate:v9", "registry.example/hc/payment:v9"}
	if !slices.Equal(pay, want) {
		t.Errorf("payment images: got %v, want %v (migrate named twice counts once)", pay, want)
	}
}
