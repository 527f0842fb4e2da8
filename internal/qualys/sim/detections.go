package sim

// Detection statuses.
const (
	stNew uint8 = iota
	stActive
	stFixed
	stReopened
)

var statusNames = [...]string{"New", "Active", "Fixed", "Re-Opened"}

// detection is one row of a host's DETECTION_LIST as of the current epoch.
type detection struct {
	slot          int
	uniqueID      int64
	qid           int
	kbPos         int
	typ           string // Confirmed, Potential, Info
	severity      int
	port          int // 0: host-level, no PORT/PROTOCOL
	protocol      string
	fqdn          string
	ssl           bool
	instance      string
	service       string
	status        uint8
	firstFound    int64
	lastFound     int64
	timesFound    int
	lastTest      int64
	lastUpdate    int64
	lastFixed     int64
	firstReopened int64
	lastReopened  int64
	timesReopened int
	ignored       bool
	disabled      bool
	qds           int
	arfKernel     int8 // -1 absent
	arfService    int8
	arfConfig     int8
	lastProcessed int64
}

// hostPlan is what a host needs to enumerate its detection slots.
type hostPlan struct {
	pool  []int32 // knowledge base positions the host draws from
	start int
	step  int
	// base is the number of slots the host was found with; added[k] is the
	// slot count after its k-th later scan.
	base  int
	added []int
}

// total is the number of detection slots the host has now.
func (p *hostPlan) total() int {
	if len(p.added) == 0 {
		return p.base
	}
	return p.added[len(p.added)-1]
}

// bornScan returns the index into host.scans of the scan that added slot j,
// or -1 for slots the host was found with.
func (p *hostPlan) bornScan(j int) int {
	if j < p.base {
		return -1
	}
	for k, n := range p.added {
		if j < n {
			return k
		}
	}
	return -1
}

// plan returns the host's slot counts and the QID pool and stride it uses,
// so that each slot gets a different QID.
func (w *world) plan(h *host) hostPlan {
	kb := w.kb
	pool := kb.byFamily[h.os.fam]
	r := newRNG(hashOf(w.seed, tagSlot, uint64(h.index)))
	p := hostPlan{pool: pool, start: r.intn(len(pool))}
	p.step = 1 + r.intn(len(pool)-1)
	for gcd(p.step, len(pool)) != 1 {
		p.step++
		if p.step >= len(pool) {
			p.step = 1
		}
	}
	d := w.opts.DetectionsPerHost
	if r.chance(0.25) {
		p.base = r.between(d*2/5, d*4) // the heavy quarter, mean 2.2 d
	} else {
		p.base = r.between(d/5, d) // the rest, mean 0.6 d
	}
	p.base = min(max(p.base, 1), len(pool)/2)
	perScan := uint64(max(1, d/12) + 1)
	n := p.base
	for _, s := range h.scans {
		n += int(hashOf(w.seed, tagSlotAdded, uint64(h.index), uint64(s.epoch)) % perScan)
		n = min(n, len(pool)-1)
		p.added = append(p.added, n)
	}
	return p
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// genericEvery mixes generic QIDs into platform hosts: every third slot of a
// Windows or Linux host draws from the generic pool.
const genericEvery = 3

var commonPorts = []struct {
	port  int
	proto string
	svc   string
	ssl   bool
}{
	{22, "tcp", "ssh", false}, {443, "tcp", "https", true}, {80, "tcp", "http", false}, {3389, "tcp", "ms-wbt-server", true},
	{445, "tcp", "microsoft-ds", false}, {8443, "tcp", "https", true}, {25, "tcp", "smtp", false}, {3306, "tcp", "mysql", false},
	{5432, "tcp", "postgresql", false}, {161, "udp", "snmp", false}, {123, "udp", "ntp", false}, {53, "udp", "domain", false},
	{1433, "tcp", "ms-sql-s", false}, {8080, "tcp", "http-alt", false},
}

// detectionAt fills d with slot j of host h as of the current epoch.
func (w *world) detectionAt(h *host, p *hostPlan, j int, d *detection) {
	kb := w.kb
	pool := p.pool
	if h.os.fam != famGeneric && j%genericEvery == genericEvery-1 {
		pool = kb.byFamily[famGeneric]
	}
	pos := int(pool[(p.start+j*p.step)%len(pool)])
	if len(pool) != len(p.pool) {
		pos = int(pool[(p.start+j/genericEvery*7919)%len(pool)])
	}
	r := newRNG(hashOf(w.seed, tagSlot, uint64(h.index), uint64(j), 2))
	*d = detection{slot: j, kbPos: pos, qid: int(kb.qids[pos]), severity: int(kb.severity[pos]), arfKernel: -1, arfService: -1, arfConfig: -1}
	d.uniqueID = 1_000_000_000 + int64(h.index)*4096 + int64(j)
	switch kb.vtype[pos] {
	case vtVuln:
		d.typ = "Confirmed"
	case vtPotential:
		d.typ = "Potential"
	case vtVulnOrPotential:
		if r.chance(0.5) {
			d.typ = "Confirmed"
		} else {
			d.typ = "Potential"
		}
	default:
		d.typ = "Info"
	}
	if r.chance(0.65) {
		cp := commonPorts[r.intn(len(commonPorts))]
		d.port, d.protocol, d.service, d.ssl = cp.port, cp.proto, cp.svc, cp.ssl
		if cp.port == 443 && r.chance(0.3) {
			d.fqdn = h.fqdn()
		}
	}
	if r.chance(0.03) {
		d.instance = pick(&r, []string{"ORCL", "PROD01", "MSSQLSERVER"})
	}
	d.ignored = r.chance(0.01)
	d.disabled = r.chance(0.005)
	d.qds = min(100, max(1, d.severity*18-r.intn(30)+r.intn(20)))
	if h.os.fam == famLinux && d.typ != "Info" {
		d.arfKernel = int8(r.intn(2))
		d.arfService = int8(r.intn(2))
		d.arfConfig = 0
	}

	// History: the slot's state when it was first found, then one step per
	// later scan of the host.
	k := p.bornScan(j)
	bornScan := h.firstScan
	if k >= 0 {
		bornScan = h.scans[k].at
	}
	if k < 0 && h.bornEpoch == 0 {
		u := r.float()
		d.firstFound = bornScan - int64(86400*(1+r.intn(400)))
		d.timesFound = 1 + r.intn(300)
		d.lastFound = bornScan
		d.lastTest = bornScan
		switch {
		case u < 0.12:
			d.status = stNew
			d.firstFound, d.timesFound = bornScan, 1
		case u < 0.74:
			d.status = stActive
			if r.chance(0.1) {
				d.lastFixed = d.firstFound + (bornScan-d.firstFound)/2
			}
		case u < 0.90:
			d.status = stFixed
			d.lastFound = bornScan - int64(86400*(1+r.intn(20)))
			if d.lastFound < d.firstFound {
				d.lastFound = d.firstFound
			}
			d.lastFixed = bornScan
		default:
			d.status = stReopened
			d.lastFixed = bornScan - int64(86400*(2+r.intn(30)))
			d.firstReopened, d.lastReopened = bornScan, bornScan
			d.timesReopened = 1 + r.intn(3)
			if d.lastFixed <= d.firstFound {
				d.firstFound = d.lastFixed - 86400
			}
		}
	} else {
		d.status = stNew
		d.firstFound, d.lastFound, d.lastTest, d.timesFound = bornScan, bornScan, bornScan, 1
	}
	for _, s := range h.scans[k+1:] {
		u := unitOf(hashOf(w.seed, tagSlotEvent, uint64(h.index), uint64(j), uint64(s.epoch)))
		d.lastTest = s.at
		switch d.status {
		case stNew, stActive, stReopened:
			if u < detectionFixRate {
				d.status = stFixed
				d.lastFixed = s.at
			} else {
				d.status = stActive
				d.lastFound = s.at
				d.timesFound++
			}
		case stFixed:
			if u < detectionReopenRate {
				d.status = stReopened
				d.lastFound = s.at
				d.timesFound++
				d.timesReopened++
				if d.firstReopened == 0 {
					d.firstReopened = s.at
				}
				d.lastReopened = s.at
			}
		}
	}
	d.lastUpdate = h.processed
	d.lastProcessed = h.processed
}
