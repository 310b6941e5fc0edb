package compose

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const receiptLog = `deploy: pulling images
deploy: migration succeeded
deploy: hoodcloud healthy
deploy-receipt: begin
deploy-receipt: deployed-at 2026-12-02T01:40:00Z
deploy-receipt: migrate migrate exit 0
deploy-receipt: container api|registry.hoodcloud.io/hoodcloud/api:v1.42.0|running|healthy
deploy-receipt: container worker|registry.hoodcloud.io/hoodcloud/worker:v1.42.0|running|
deploy-receipt: container worker|registry.hoodcloud.io/hoodcloud/worker:v1.42.0|restarting|
deploy-receipt: container db|postgres:16-alpine|running|healthy
deploy-receipt: end
`

func TestParseReceipt(t *testing.T) {
	r, found, err := ParseReceipt(receiptLog)
	if err != nil || !found {
		t.Fatalf("found %v, err %v", found, err)
	}
	want := Receipt{
		DeployedAt: "2026-12-02T01:40:00Z", Migrate: "exit 0",
		Images: map[string]string{"api": "registry.hoodcloud.io/hoodcloud/api:v1.42.0", "worker": "registry.hoodcloud.io/hoodcloud/worker:v1.42.0", "db": "postgres:16-alpine"},
		Health: map[string]string{"api": "healthy", "worker": "restarting", "db": "healthy"},
	}
	if d := cmp.Diff(want, r); d != "" {
		t.Errorf("receipt (-want +got):\n%s", d)
	}
}

func TestReceiptMissing(t *testing.T) {
	if _, found, err := ParseReceipt("deploy: healthy\n"); found || err != nil {
		t.Errorf("found %v err %v in a log without a receipt", found, err)
	}
}

// The receipt goes from a secret log to a public output: anything outside its grammar is refused, so no
// service's words (a password it logged) can ride along.
func TestReceiptRefusesWhatItsGrammarDoesNot(t *testing.T) {
	for name, line := range map[string]string{
		"free text in an image": "deploy-receipt: container api|password=hunter2 x|running|healthy",
		"unknown state":         "deploy-receipt: container api|api:v1|hunter2|healthy",
		"extra field":           "deploy-receipt: container api|api:v1|running|healthy|hunter2",
		"unknown line":          "deploy-receipt: secret hunter2",
		"bad time":              "deploy-receipt: deployed-at hunter2",
		"a failed migrate":      "deploy-receipt: migrate migrate exit 1",
	} {
		log := "deploy-receipt: begin\ndeploy-receipt: deployed-at 2026-12-02T01:40:00Z\ndeploy-receipt: migrate none\n" + line + "\ndeploy-receipt: end\n"
		_, _, err := ParseReceipt(log)
		if err == nil {
			t.Errorf("%s: accepted", name)
		} else if strings.Contains(err.Error(), "hunter2") {
			t.Errorf("%s: the error repeats what it refused: %v", name, err)
		}
	}
}
