package enginetest

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"

	"github.com/hoodcloud/infra/internal/engine"
)

// `pulumi preview` of a fresh stack — the operators' main job — with the real command, tls, hcloud and
// vault plugins: it succeeds with no error and no warning, and plans the whole graph.
func TestPreviewWithRealPlugins(t *testing.T) {
	for _, stack := range []string{"staging", "prod"} {
		t.Run(stack, func(t *testing.T) {
			p := newProject(t, stack, engine.Real)
			res := p.preview(t)
			if n := res.ChangeSummary[apitype.OpCreate]; n < 100 {
				t.Errorf("preview plans %d creates, want the whole graph (over 100)", n)
			}
		})
	}
}
