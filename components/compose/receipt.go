package compose

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Receipt is what a successful deploy step reports about what now runs (the `deploy-receipt:` lines the
// deploy script prints last): operators and CI read it from the stack outputs without SSH.
type Receipt struct {
	// DeployedAt is when the deploy step last succeeded, by the server's clock (RFC 3339, UTC). An up that
	// does not re-run the step keeps it.
	DeployedAt string `json:"deployedAt"`
	// Migrate is "exit 0" when the migration ran (a failed migration fails the step, so a receipt never
	// shows one), "none" when the stack has no migration service.
	Migrate string `json:"migrate"`
	// Images maps each running service to the image reference its container runs.
	Images map[string]string `json:"images"`
	// Health maps each service to its container's health ("healthy") or, without a healthcheck, its state
	// ("running"); several containers of one service are reported as the worst.
	Health map[string]string `json:"health"`
}

// The receipt is parsed from a secret stdout (the deploy log quotes the services) into a public output,
// so every field is checked against a strict grammar: nothing but service names, image references,
// Compose's state words and a timestamp can get through, and an error never quotes the line it refused.
var (
	receiptServiceRe = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]*$`)
	receiptImageRe   = regexp.MustCompile(`^[a-z0-9][a-z0-9._:/-]*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(@sha256:[0-9a-f]{64})?$`)
	receiptStates    = map[string]bool{"running": true, "exited": true, "restarting": true, "paused": true, "created": true, "dead": true, "removing": true}
	receiptHealth    = map[string]bool{"": true, "healthy": true, "unhealthy": true, "starting": true}
)

const receiptPrefix = "deploy-receipt: "

// ParseReceipt reads the receipt out of a deploy step's stdout. found is false when stdout has none (a
// step that has not run since receipts existed); a receipt that breaks the grammar is an error.
func ParseReceipt(stdout string) (r Receipt, found bool, err error) {
	var lines []string
	inside := false
	for _, line := range strings.Split(stdout, "\n") {
		body, ok := strings.CutPrefix(line, receiptPrefix)
		switch {
		case !ok:
			continue
		case body == "begin":
			inside, lines = true, nil
		case body == "end" && inside:
			inside, found = false, true
		case inside:
			lines = append(lines, body)
		}
	}
	if !found {
		return Receipt{}, false, nil
	}
	r = Receipt{Images: map[string]string{}, Health: map[string]string{}}
	for _, l := range lines {
		word, rest, _ := strings.Cut(l, " ")
		switch word {
		case "deployed-at":
			if _, err := time.Parse(time.RFC3339, rest); err != nil {
				return Receipt{}, true, fmt.Errorf("deploy receipt: the deployed-at line holds no RFC 3339 time")
			}
			r.DeployedAt = rest
		case "migrate":
			switch f := strings.Fields(rest); {
			case len(f) == 1 && f[0] == "none":
				r.Migrate = "none"
			case len(f) == 3 && receiptServiceRe.MatchString(f[0]) && f[1] == "exit" && f[2] == "0":
				r.Migrate = "exit 0"
			default:
				return Receipt{}, true, fmt.Errorf("deploy receipt: a migrate line other than `migrate none` or `migrate SERVICE exit 0`")
			}
		case "container":
			f := strings.Split(rest, "|")
			if len(f) != 4 || !receiptServiceRe.MatchString(f[0]) || !receiptImageRe.MatchString(f[1]) || !receiptStates[f[2]] || !receiptHealth[f[3]] {
				return Receipt{}, true, fmt.Errorf("deploy receipt: a container line other than service|image|state|health")
			}
			r.Images[f[0]] = f[1]
			status := f[3]
			if status == "" {
				status = f[2]
			}
			if old, ok := r.Health[f[0]]; !ok || worse(status, old) {
				r.Health[f[0]] = status
			}
		default:
			return Receipt{}, true, fmt.Errorf("deploy receipt: a line of unknown kind %q", receiptKind(word))
		}
	}
	if r.DeployedAt == "" || r.Migrate == "" {
		return Receipt{}, true, fmt.Errorf("deploy receipt: missing deployed-at or migrate line")
	}
	return r, true, nil
}

// receiptKind names an unknown line's first word only if it is a plain word; the line itself may quote a
// service's log, so errors never repeat it.
func receiptKind(word string) string {
	if receiptServiceRe.MatchString(word) && len(word) <= 20 {
		return word
	}
	return "?"
}

// worse orders statuses so that a service with one bad container reports the bad one.
func worse(a, b string) bool {
	rank := func(s string) int {
		switch s {
		case "healthy", "running":
			return 0
		case "starting", "created":
			return 1
		}
		return 2
	}
	return rank(a) > rank(b)
}

// receiptOutput turns the deploy log into the public receipt map. Only what ParseReceipt accepted leaves
// the secret log, which is why unsecreting it is safe.
func receiptOutput(deployLog, bundleHash pulumi.StringOutput) pulumi.MapOutput {
	m := pulumi.All(deployLog, bundleHash).ApplyT(func(x []any) (map[string]any, error) {
		r, found, err := ParseReceipt(x[0].(string))
		if err != nil {
			return nil, err
		}
		if !found {
			r = Receipt{Images: map[string]string{}, Health: map[string]string{}}
		}
		images, health := map[string]any{}, map[string]any{}
		for k, v := range r.Images {
			images[k] = v
		}
		for k, v := range r.Health {
			health[k] = v
		}
		return map[string]any{"bundleHash": x[1].(string), "deployedAt": r.DeployedAt, "migrate": r.Migrate,
			"images": images, "health": health}, nil
	}).(pulumi.MapOutput)
	return pulumi.Unsecret(m).(pulumi.MapOutput)
}
