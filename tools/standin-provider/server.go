package main

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"
)

// server speaks the provider protocol; cloud decides what the cloud answers.
type server struct {
	pulumirpc.UnimplementedResourceProviderServer
	name, version string
	cloud         *cloud
	journal       journal
}

// wire is how properties cross the protocol: secrets and unknowns kept, as a provider that accepts
// secrets and supports preview receives and returns them.
var wire = plugin.MarshalOptions{KeepUnknowns: true, KeepSecrets: true, KeepResources: true}

func unmarshal(s *structpb.Struct) (resource.PropertyMap, error) {
	if s == nil {
		return resource.PropertyMap{}, nil
	}
	return plugin.UnmarshalProperties(s, wire)
}

func marshal(m resource.PropertyMap) (*structpb.Struct, error) {
	return plugin.MarshalProperties(m, wire)
}

func (s *server) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: s.version}, nil
}

func (s *server) GetSchema(context.Context, *pulumirpc.GetSchemaRequest) (*pulumirpc.GetSchemaResponse, error) {
	b, err := json.Marshal(map[string]string{"name": s.name, "version": s.version})
	return &pulumirpc.GetSchemaResponse{Schema: string(b)}, err
}

func (s *server) CheckConfig(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	return &pulumirpc.CheckResponse{Inputs: req.GetNews()}, nil
}

func (s *server) DiffConfig(_ context.Context, req *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	olds, err := unmarshal(req.GetOldInputs())
	if err != nil {
		return nil, err
	}
	news, err := unmarshal(req.GetNews())
	if err != nil {
		return nil, err
	}
	return diffResponse(changedKeys(olds, news, nil), nil), nil
}

func (s *server) Configure(context.Context, *pulumirpc.ConfigureRequest) (*pulumirpc.ConfigureResponse, error) {
	return &pulumirpc.ConfigureResponse{AcceptSecrets: true, SupportsPreview: true, AcceptResources: true}, nil
}

func (s *server) Check(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	return &pulumirpc.CheckResponse{Inputs: req.GetNews()}, nil
}

func (s *server) Diff(_ context.Context, req *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	oldIn := req.GetOldInputs()
	if oldIn == nil {
		oldIn = req.GetOlds()
	}
	olds, err := unmarshal(oldIn)
	if err != nil {
		return nil, err
	}
	news, err := unmarshal(req.GetNews())
	if err != nil {
		return nil, err
	}
	changed := changedKeys(olds, news, req.GetIgnoreChanges())
	return diffResponse(changed, s.cloud.replaces(resource.URN(req.GetUrn()).Type().String(), changed)), nil
}

func (s *server) Create(_ context.Context, req *pulumirpc.CreateRequest) (*pulumirpc.CreateResponse, error) {
	urn := resource.URN(req.GetUrn())
	if req.GetPreview() {
		// Like a real provider at preview: the inputs, and computed outputs left unknown.
		_, err := unmarshal(req.GetProperties())
		return &pulumirpc.CreateResponse{Properties: req.GetProperties()}, err
	}
	id, props, err := s.apply(urn, req.GetProperties(), "create")
	if s.name == "command" {
		// pulumi-command gives every create a new unique ID, so a replaced step has another one.
		id = uniqueID(urn)
	}
	return &pulumirpc.CreateResponse{Id: id, Properties: props}, err
}

func (s *server) Update(_ context.Context, req *pulumirpc.UpdateRequest) (*pulumirpc.UpdateResponse, error) {
	if req.GetPreview() {
		_, err := unmarshal(req.GetNews())
		return &pulumirpc.UpdateResponse{Properties: req.GetNews()}, err
	}
	_, props, err := s.apply(resource.URN(req.GetUrn()), req.GetNews(), "update")
	return &pulumirpc.UpdateResponse{Properties: props}, err
}

// apply is what the cloud does on a create or update (op) with these inputs: it answers with the
// resource's ID and outputs, and journals the operation and the command a remote step would run.
func (s *server) apply(urn resource.URN, in *structpb.Struct, op string) (string, *structpb.Struct, error) {
	inputs, err := unmarshal(in)
	if err != nil {
		return "", nil, err
	}
	id, outs, err := s.cloud.answer(urn, inputs)
	if err != nil {
		return "", nil, err
	}
	if s.cloud.servers != nil && op == "create" {
		if err := s.cloud.servers.created(urn.Type().String(), id, plainMap(inputs), outs); err != nil {
			return "", nil, err
		}
	}
	s.journal.record(op, urn)
	s.cloud.run(urn, inputs, op, s.journal)
	props, err := marshal(outs)
	return id, props, err
}

func (s *server) Read(_ context.Context, req *pulumirpc.ReadRequest) (*pulumirpc.ReadResponse, error) {
	// The cloud still holds what it was told: refresh finds no drift.
	return &pulumirpc.ReadResponse{Id: req.GetId(), Properties: req.GetProperties(), Inputs: req.GetInputs()}, nil
}

func (s *server) Delete(_ context.Context, req *pulumirpc.DeleteRequest) (*emptypb.Empty, error) {
	urn := resource.URN(req.GetUrn())
	olds, err := unmarshal(req.GetOldInputs())
	if err != nil {
		return nil, err
	}
	if s.cloud.servers != nil {
		if err := s.cloud.servers.deleted(urn.Type().String(), req.GetId(), plainMap(olds)); err != nil {
			return nil, err
		}
	}
	s.journal.record("delete", urn)
	s.cloud.run(urn, olds, "delete", s.journal)
	return &emptypb.Empty{}, nil
}

func (s *server) Invoke(_ context.Context, req *pulumirpc.InvokeRequest) (*pulumirpc.InvokeResponse, error) {
	args, err := unmarshal(req.GetArgs())
	if err != nil {
		return nil, err
	}
	ret, err := s.cloud.invoke(req.GetTok(), args)
	if err != nil {
		return &pulumirpc.InvokeResponse{Failures: []*pulumirpc.CheckFailure{{Reason: err.Error()}}}, nil
	}
	out, err := marshal(ret)
	return &pulumirpc.InvokeResponse{Return: out}, err
}

func (s *server) Cancel(context.Context, *emptypb.Empty) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, nil
}

// changedKeys lists the top-level properties whose values differ, sorted. A secret compares by its value;
// an unknown new value is a change.
func changedKeys(olds, news resource.PropertyMap, ignore []string) []string {
	skip := map[string]bool{}
	for _, k := range ignore {
		skip[k] = true
	}
	keys := map[resource.PropertyKey]bool{}
	for k := range olds {
		keys[k] = true
	}
	for k := range news {
		keys[k] = true
	}
	var changed []string
	for k := range keys {
		if skip[string(k)] || strings.HasPrefix(string(k), "__") {
			continue
		}
		o, n := olds[k], news[k]
		if n.ContainsUnknowns() || !plain(o).DeepEquals(plain(n)) {
			changed = append(changed, string(k))
		}
	}
	sort.Strings(changed)
	return changed
}

func diffResponse(changed []string, replaces []string) *pulumirpc.DiffResponse {
	if len(changed) == 0 {
		return &pulumirpc.DiffResponse{Changes: pulumirpc.DiffResponse_DIFF_NONE}
	}
	replace := map[string]bool{}
	for _, r := range replaces {
		replace[r] = true
	}
	detailed := map[string]*pulumirpc.PropertyDiff{}
	for _, k := range changed {
		kind := pulumirpc.PropertyDiff_UPDATE
		if replace[k] {
			kind = pulumirpc.PropertyDiff_UPDATE_REPLACE
		}
		detailed[k] = &pulumirpc.PropertyDiff{Kind: kind, InputDiff: true}
	}
	return &pulumirpc.DiffResponse{
		Changes: pulumirpc.DiffResponse_DIFF_SOME, Diffs: changed, Replaces: replaces,
		DetailedDiff: detailed, HasDetailedDiff: true,
	}
}

// plain strips secret wrappers, recursively.
func plain(v resource.PropertyValue) resource.PropertyValue {
	switch {
	case v.IsSecret():
		return plain(v.SecretValue().Element)
	case v.IsOutput() && v.OutputValue().Known:
		// Invoke arguments come as output values where they flow from resources.
		return plain(v.OutputValue().Element)
	case v.IsArray():
		out := make([]resource.PropertyValue, len(v.ArrayValue()))
		for i, e := range v.ArrayValue() {
			out[i] = plain(e)
		}
		return resource.NewProperty(out)
	case v.IsObject():
		return resource.NewProperty(plainMap(v.ObjectValue()))
	}
	return v
}

func plainMap(m resource.PropertyMap) resource.PropertyMap {
	out := resource.PropertyMap{}
	for k, v := range m {
		out[k] = plain(v)
	}
	return out
}

// stableID is a deterministic ID for a resource the fakes give no ID of their own.
func stableID(urn resource.URN) string {
	sum := sha256.Sum256([]byte(urn))
	return fmt.Sprintf("%s-%s", urn.Name(), hex.EncodeToString(sum[:6]))
}

func uniqueID(urn resource.URN) string {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return stableID(urn)
	}
	return urn.Name() + "-" + hex.EncodeToString(b[:])
}
