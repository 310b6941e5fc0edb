// Package workflows holds the checks of the repository's GitHub Actions workflows (.github/workflows):
// actionlint, and the policies an operator team relies on — third-party actions pinned by commit, no
// secret on a command line, least-privilege permissions, deploys serialised per stack and gated for prod,
// and only the repository's documented commands in `run:` steps. The package has no code of its own.
package workflows
