// Package hetznerid converts Hetzner resource IDs: Pulumi resource IDs are strings, while the hcloud
// provider's references between resources (primary IP, firewall, placement group) take integers.
package hetznerid

import (
	"fmt"
	"strconv"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Int converts a Hetzner resource ID (a decimal string) to the int the API's references take.
func Int(id pulumi.IDOutput) pulumi.IntOutput {
	return id.ApplyT(func(v pulumi.ID) (int, error) {
		n, err := strconv.Atoi(string(v))
		if err != nil {
			return 0, fmt.Errorf("hetzner id %q is not numeric: %w", v, err)
		}
		return n, nil
	}).(pulumi.IntOutput)
}
