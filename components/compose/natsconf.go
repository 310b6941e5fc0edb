package compose

import (
	"bufio"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// NATSConfigDir is where a bundle keeps its NATS server configuration.
const NATSConfigDir = "config/nats"

// natsIncludeRe matches a NATS `include` directive and its path, quoted or not.
var natsIncludeRe = regexp.MustCompile(`^\s*include\s+(?:"([^"]*)"|'([^']*)'|(\S+?))\s*;?\s*(?:#.*)?$`)

// checkNATSIncludes refuses an absolute `include` in the bundle's NATS configuration: nats-server resolves
// every include against the directory of the including file, so "/etc/nats/jwt/resolver.conf" in
// /etc/nats/nats.conf names /etc/nats/etc/nats/jwt/resolver.conf and the server does not start.
func checkNATSIncludes(bundleDir string) []string {
	files, _ := filepath.Glob(filepath.Join(bundleDir, filepath.FromSlash(NATSConfigDir), "*.conf"))
	sort.Strings(files)
	var problems []string
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s: %v", NATSConfigDir+"/"+filepath.Base(f), err))
			continue
		}
		s := bufio.NewScanner(fh)
		for n := 1; s.Scan(); n++ {
			m := natsIncludeRe.FindStringSubmatch(s.Text())
			if m == nil {
				continue
			}
			target := m[1] + m[2] + m[3]
			if path.IsAbs(target) || filepath.IsAbs(target) {
				problems = append(problems, fmt.Sprintf("%s/%s line %d: include %q is absolute, and nats-server resolves "+
					"includes against the including file's directory; write it relative to that directory (e.g. %q)",
					NATSConfigDir, filepath.Base(f), n, target, strings.TrimPrefix(path.Base(path.Dir(target))+"/"+path.Base(target), "./")))
			}
		}
		fh.Close()
	}
	return problems
}
