// Command hoodcloud-infra is the Pulumi program that stands up and converges the HoodCloud platform.
package main

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/hoodcloud/infra/stacks"
)

func main() {
	pulumi.Run(stacks.Program)
}
