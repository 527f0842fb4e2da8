package sim

import (
	"math"
	"time"
)

// world is the simulated subscription at one point of the simulated clock.
// Time moves in epochs: epoch 0 is the start, and each Advance adds one.
// Hosts, detections, web apps and findings are functions of (seed, index,
// epoch), so a world holds only the epoch start times and a few running
// totals. A world is immutable once built; Advance builds a new one.
type world struct {
	seed uint64
	opts Options
	kb   *knowledgeBase
	// epochs[e] is the Unix time at which epoch e starts; the last one is now.
	epochs []int64
	// hostTotal[e] and appTotal[e] count the host and web app slots that
	// exist by epoch e (retired ones included).
	hostTotal []int
	appTotal  []int
}

const (
	hostRetirePerEpoch   = 0.01
	webAppRetirePerEpoch = 0.02
	hostScanPerEpoch     = 0.6
	detectionFixRate     = 0.07
	detectionReopenRate  = 0.12
	findingFixRate       = 0.08
	findingReopenRate    = 0.10
)

func newWorld(opts Options, kb *knowledgeBase) *world {
	return &world{
		seed:      uint64(opts.Seed),
		opts:      opts,
		kb:        kb,
		epochs:    []int64{opts.Now.Unix()},
		hostTotal: []int{opts.Hosts},
		appTotal:  []int{opts.WebApps},
	}
}

// advanced returns the world one epoch later, d after the current clock.
func (w *world) advanced(d time.Duration) *world {
	n := &world{seed: w.seed, opts: w.opts, kb: w.kb}
	e := len(w.epochs)
	n.epochs = append(append([]int64(nil), w.epochs...), w.now()+int64(d/time.Second))
	addedHosts := int(math.Round(float64(w.opts.Hosts) * 0.01 * (0.5 + unitOf(hashOf(w.seed, tagHostAdded, uint64(e))))))
	n.hostTotal = append(append([]int(nil), w.hostTotal...), w.hostTotal[e-1]+max(1, addedHosts))
	addedApps := 0
	if w.opts.WebApps > 0 {
		addedApps = max(1, int(math.Round(float64(w.opts.WebApps)*0.05*(0.5+unitOf(hashOf(w.seed, tagWebAppAdded, uint64(e)))))))
	}
	n.appTotal = append(append([]int(nil), w.appTotal...), w.appTotal[e-1]+addedApps)
	return n
}

// epoch is the current epoch number.
func (w *world) epoch() int { return len(w.epochs) - 1 }

// now is the current simulated Unix time.
func (w *world) now() int64 { return w.epochs[len(w.epochs)-1] }

// bornEpoch returns the epoch at which slot index first exists in totals.
func bornEpoch(totals []int, index int) int {
	for e, t := range totals {
		if index < t {
			return e
		}
	}
	return len(totals)
}

// geometricEpoch returns the first epoch after born at which an event with
// probability p per epoch happens, drawn from the hash h.
func geometricEpoch(born int, p float64, h uint64) int {
	u := unitOf(h)
	if u <= 0 {
		u = 1e-18
	}
	n := math.Floor(math.Log(u) / math.Log(1-p))
	if n > 1e6 {
		n = 1e6
	}
	return born + 1 + int(n)
}

// hostAlive reports whether host slot i exists and is not retired now.
func (w *world) hostAlive(i int) bool {
	e := w.epoch()
	if i < 0 || i >= w.hostTotal[e] {
		return false
	}
	born := bornEpoch(w.hostTotal, i)
	return e < geometricEpoch(born, hostRetirePerEpoch, hashOf(w.seed, tagHostRetire, uint64(i)))
}

// appAlive reports whether web app slot a exists and is not retired now.
func (w *world) appAlive(a int) bool {
	e := w.epoch()
	if a < 0 || a >= w.appTotal[e] {
		return false
	}
	born := bornEpoch(w.appTotal, a)
	return e < geometricEpoch(born, webAppRetirePerEpoch, hashOf(w.seed, tagWebAppRetire, uint64(a)))
}

// scanTime returns when host i was scanned during epoch e (e >= 1): a point
// inside (epochs[e-1], epochs[e]].
func (w *world) scanTimeIn(e int, h uint64) int64 {
	span := w.epochs[e] - w.epochs[e-1]
	if span <= 1 {
		return w.epochs[e]
	}
	return w.epochs[e-1] + 1 + int64(unitOf(h)*float64(span-1))
}

// hostScannedAt reports whether host i was scanned in epoch e (e >= 1) and when.
func (w *world) hostScannedAt(i, e int) (bool, int64) {
	h := hashOf(w.seed, tagHostScan, uint64(i), uint64(e))
	if unitOf(h) >= hostScanPerEpoch {
		return false, 0
	}
	return true, w.scanTimeIn(e, mix64(h))
}

// Identifier layouts. Each is strictly increasing in the slot index, so
// "sorted by ID" is "sorted by index" and an ID maps back to its index.
const (
	hostIDBase   = 105_000_000
	hostIDStride = 37
	assetIDBase  = 80_000_000
	assetStride  = 29
	appIDBase    = 300_000_000
	appIDStride  = 53
	findingBase  = 10_000_000
	findingSlots = 4096
)

func (w *world) hostID(i int) int64 {
	return hostIDBase + int64(i)*hostIDStride + int64(hashOf(w.seed, tagIDs, 1, uint64(i))%31)
}

func (w *world) assetID(i int) int64 {
	return assetIDBase + int64(i)*assetStride + int64(hashOf(w.seed, tagIDs, 2, uint64(i))%23)
}

func (w *world) appID(a int) int64 {
	return appIDBase + int64(a)*appIDStride + int64(hashOf(w.seed, tagIDs, 3, uint64(a))%47)
}

func findingID(a, j int) int64 { return findingBase + int64(a)*findingSlots + int64(j) }

// hostIndexOfID maps a QWeb host ID back to its slot, or -1.
func (w *world) hostIndexOfID(id int64) int {
	if id < hostIDBase {
		return -1
	}
	i := int((id - hostIDBase) / hostIDStride)
	if i >= w.hostTotal[w.epoch()] || w.hostID(i) != id {
		return -1
	}
	return i
}

// hostIndexOfAssetID maps an asset ID back to its slot, or -1.
func (w *world) hostIndexOfAssetID(id int64) int {
	if id < assetIDBase {
		return -1
	}
	i := int((id - assetIDBase) / assetStride)
	if i >= w.hostTotal[w.epoch()] || w.assetID(i) != id {
		return -1
	}
	return i
}

// firstHostAtOrAbove returns the smallest slot whose host ID is >= id.
func (w *world) firstHostAtOrAbove(id int64) int {
	if id <= hostIDBase {
		return 0
	}
	i := int((id - hostIDBase) / hostIDStride)
	if i > 0 {
		i--
	}
	for i < w.hostTotal[w.epoch()] && w.hostID(i) < id {
		i++
	}
	return i
}

// firstAssetAbove returns the smallest slot whose asset ID is > id.
func (w *world) firstAssetAbove(id int64) int {
	if id < assetIDBase {
		return 0
	}
	i := int((id - assetIDBase) / assetStride)
	if i > 0 {
		i--
	}
	for i < w.hostTotal[w.epoch()] && w.assetID(i) <= id {
		i++
	}
	return i
}

// appIndexOfID maps a web app ID back to its slot, or -1.
func (w *world) appIndexOfID(id int64) int {
	if id < appIDBase {
		return -1
	}
	a := int((id - appIDBase) / appIDStride)
	if a >= w.appTotal[w.epoch()] || w.appID(a) != id {
		return -1
	}
	return a
}
