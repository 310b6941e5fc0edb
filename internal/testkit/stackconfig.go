package testkit

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// ProjectKey is one config key declared in Pulumi.yaml.
type ProjectKey struct {
	Type        string `yaml:"type"`
	Description string `yaml:"description"`
	Default     any    `yaml:"default"`
	Secret      bool   `yaml:"secret"`
	Items       *struct {
		Type string `yaml:"type"`
	} `yaml:"items"`
}

// Project is the part of Pulumi.yaml the tests read.
type Project struct {
	Name    string                `yaml:"name"`
	Runtime any                   `yaml:"runtime"`
	Config  map[string]ProjectKey `yaml:"config"`
}

// StackConfig is the configuration a stack runs with, assembled as the Pulumi CLI does: the project's
// declared defaults, overridden by Pulumi.<stack>.yaml, plus the secret fixtures of testdata/secrets.yaml.
type StackConfig struct {
	// Root is the absolute project directory, given to the program as its root directory.
	Root    string
	Project string
	Stack   string
	Values  map[string]string
	// Secrets maps each secret config key to its fixture value, for the secret sweep.
	Secrets map[string]string
}

// LoadProject parses root/Pulumi.yaml.
func LoadProject(root string) (Project, error) {
	var p Project
	b, err := os.ReadFile(filepath.Join(root, "Pulumi.yaml"))
	if err != nil {
		return p, err
	}
	err = yaml.Unmarshal(b, &p)
	return p, err
}

// LoadStackConfig assembles the configuration of stack from the files under root.
func LoadStackConfig(root, stack string) (StackConfig, error) {
	p, err := LoadProject(root)
	if err != nil {
		return StackConfig{}, err
	}
	abs, err := filepath.Abs(root)
	if err != nil {
		return StackConfig{}, err
	}
	sc := StackConfig{Root: abs, Project: p.Name, Stack: stack, Values: map[string]string{}, Secrets: map[string]string{}}
	for k, decl := range p.Config {
		if decl.Default == nil {
			continue
		}
		if err := sc.set(qualify(p.Name, k), decl.Default); err != nil {
			return sc, err
		}
	}
	var stackFile struct {
		Config map[string]any `yaml:"config"`
	}
	b, err := os.ReadFile(filepath.Join(root, "Pulumi."+stack+".yaml"))
	if err != nil {
		return sc, err
	}
	if err := yaml.Unmarshal(b, &stackFile); err != nil {
		return sc, fmt.Errorf("Pulumi.%s.yaml: %w", stack, err)
	}
	for k, v := range stackFile.Config {
		if m, ok := v.(map[string]any); ok && m["secure"] != nil {
			return sc, fmt.Errorf("Pulumi.%s.yaml: %s is an encrypted value; secrets are set by operators, not committed", stack, k)
		}
		if err := sc.set(qualify(p.Name, k), v); err != nil {
			return sc, err
		}
	}
	secrets, err := LoadSecretFixtures(root)
	if err != nil {
		return sc, err
	}
	for k, v := range secrets {
		sc.Values[qualify(p.Name, k)] = v
		sc.Secrets[qualify(p.Name, k)] = v
	}
	return sc, nil
}

// LoadSecretFixtures reads root/testdata/secrets.yaml: config key → a distinctive sample value.
func LoadSecretFixtures(root string) (map[string]string, error) {
	out := map[string]string{}
	b, err := os.ReadFile(filepath.Join(root, "testdata", "secrets.yaml"))
	if err != nil {
		return nil, err
	}
	if err := yaml.Unmarshal(b, &out); err != nil {
		return nil, fmt.Errorf("testdata/secrets.yaml: %w", err)
	}
	return out, nil
}

func qualify(project, key string) string {
	if strings.Contains(key, ":") {
		return key
	}
	return project + ":" + key
}

func (sc *StackConfig) set(key string, v any) error {
	if s, ok := v.(string); ok {
		sc.Values[key] = s
		return nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("config %s: %w", key, err)
	}
	sc.Values[key] = string(b)
	return nil
}

// With returns a copy of the configuration with key (unqualified keys are in the project namespace) set
// to v, or removed when v is nil.
func (sc StackConfig) With(key string, v any) StackConfig {
	out := sc
	out.Values = map[string]string{}
	for k, x := range sc.Values {
		out.Values[k] = x
	}
	k := qualify(sc.Project, key)
	// A key set here is plaintext, as `pulumi config set` without --secret would make it.
	out.Secrets = map[string]string{}
	for sk, sv := range sc.Secrets {
		if sk != k {
			out.Secrets[sk] = sv
		}
	}
	if v == nil {
		delete(out.Values, k)
		return out
	}
	if err := out.set(k, v); err != nil {
		out.Values[k] = fmt.Sprint(v)
	}
	return out
}

// RunOption applies the configuration to a mocked run.
func (sc StackConfig) RunOption() pulumi.RunOption {
	return func(info *pulumi.RunInfo) {
		info.Config = map[string]string{}
		for k, v := range sc.Values {
			info.Config[k] = v
		}
		info.ConfigSecretKeys = sortedKeys(sc.Secrets)
		info.RootDirectory = sc.Root
	}
}
