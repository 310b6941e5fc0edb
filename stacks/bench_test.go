package stacks_test

import "testing"

// BenchmarkProgramProd measures one mocked `pulumi up` of the whole prod program (config load and
// validation, every component, the outputs). The README quotes its figure.
func BenchmarkProgramProd(b *testing.B) {
	sc := stackConfig(b, "prod")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := runConfig(b, sc); err != nil {
			b.Fatal(err)
		}
	}
}
