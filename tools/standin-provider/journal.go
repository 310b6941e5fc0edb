package main

import (
	"fmt"
	"os"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// journal is the file every stand-in process appends to: one line "<op> <type> <name>" per operation.
// Lines are short single writes to a file opened with O_APPEND, so the processes of several stand-ins
// interleave whole lines.
type journal string

func (j journal) record(op string, urn resource.URN) {
	if j == "" {
		return
	}
	f, err := os.OpenFile(string(j), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		fmt.Fprintln(os.Stderr, "standin-provider journal:", err)
		return
	}
	defer f.Close()
	fmt.Fprintf(f, "%s %s %s\n", op, urn.Type(), urn.Name())
}
