package qualysint

import (
	"sync"
)

// findingRef identifies a host finding in 16 bytes, so that the CVE links,
// made once the KnowledgeBase has been read, need no finding keys kept in
// memory.
type findingRef struct {
	hostID int64
	port   int32 // -1: no port
	proto  uint8 // index into findingIndex.protocols; 0: none
	ssl    int8  // -1: unknown, 0, 1
}

// findingIndex collects, per QID, the findings of the job: host findings as
// findingRefs, web-app findings by key. It is safe for concurrent use.
type findingIndex struct {
	mu        sync.Mutex
	hosts     map[int64][]findingRef
	web       map[int64][]string
	protocols []string
}

func newFindingIndex() *findingIndex {
	return &findingIndex{hosts: map[int64][]findingRef{}, web: map[int64][]string{}, protocols: []string{""}}
}

func (x *findingIndex) addHost(hostID int64, port *int64, protocol string, qid int64, ssl *bool) {
	x.mu.Lock()
	defer x.mu.Unlock()
	r := findingRef{hostID: hostID, port: -1, ssl: -1}
	if port != nil {
		r.port = int32(*port)
	}
	if ssl != nil {
		r.ssl = 0
		if *ssl {
			r.ssl = 1
		}
	}
	if protocol != "" {
		i := 0
		for j, p := range x.protocols {
			if p == protocol {
				i = j
			}
		}
		if i == 0 && len(x.protocols) < 255 {
			x.protocols = append(x.protocols, protocol)
			i = len(x.protocols) - 1
		}
		r.proto = uint8(i)
	}
	x.hosts[qid] = append(x.hosts[qid], r)
}

func (x *findingIndex) addWeb(qid int64, key string) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.web[qid] = append(x.web[qid], key)
}

// qids returns every QID seen.
func (x *findingIndex) qids() []int64 {
	x.mu.Lock()
	defer x.mu.Unlock()
	out := make([]int64, 0, len(x.hosts)+len(x.web))
	for q := range x.hosts {
		out = append(out, q)
	}
	for q := range x.web {
		if _, dup := x.hosts[q]; !dup {
			out = append(out, q)
		}
	}
	return out
}

// hostKeys returns the keys of the host findings of a QID.
func (x *findingIndex) hostKeys(qid int64) []string {
	x.mu.Lock()
	refs := x.hosts[qid]
	protocols := x.protocols
	x.mu.Unlock()
	out := make([]string, len(refs))
	for i, r := range refs {
		var port *int64
		if r.port >= 0 {
			p := int64(r.port)
			port = &p
		}
		var ssl *bool
		if r.ssl >= 0 {
			b := r.ssl == 1
			ssl = &b
		}
		out[i] = HostFindingKey(r.hostID, port, protocols[r.proto], qid, ssl)
	}
	return out
}

// webKeys returns the keys of the web-app findings of a QID.
func (x *findingIndex) webKeys(qid int64) []string {
	x.mu.Lock()
	defer x.mu.Unlock()
	return append([]string(nil), x.web[qid]...)
}
