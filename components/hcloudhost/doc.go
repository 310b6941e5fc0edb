// Package hcloudhost builds one HoodCloud server on Hetzner Cloud (guide Parts 2.1 and 3.1): the server on
// its reserved primary IPs, its firewall, its SSH host key, its first-boot cloud-init, and the remote steps
// that keep running servers converged: root's authorized_keys (operators' keys and two deploy-key
// generations) and the host baseline.
//
// Two properties matter more than the rest. Editing cloud-init never replaces a running server: user_data,
// image and ssh_keys only apply at creation (the hcloud provider would otherwise rebuild the server), and
// the baseline step carries later changes. And every remote step pins the server's SSH host key: the key is
// generated in the graph, installed by cloud-init, and handed to later layers in Connection.
package hcloudhost
