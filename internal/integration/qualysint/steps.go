package qualysint

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/qgraph/qgraph/internal/config"
	"github.com/qgraph/qgraph/internal/graph"
	"github.com/qgraph/qgraph/internal/integration"
	"github.com/qgraph/qgraph/internal/qualys"
)

// Client is what the steps need from the Qualys client.
type Client interface {
	APIURL() string
	PortalVersion(ctx context.Context) (*qualys.PortalVersion, error)
	ScannedHostIDs(ctx context.Context, p qualys.HostListParams, fn func(id int64) error) error
	HostAssets(ctx context.Context, p qualys.HostAssetParams, fn func(*qualys.HostAsset) error) error
	HostDetections(ctx context.Context, p qualys.DetectionParams, fn func(*qualys.DetectionHost) error) error
	KnowledgeBase(ctx context.Context, p qualys.KBParams, fn func(*qualys.Vuln) error) error
	WebApps(ctx context.Context, p qualys.WebAppParams, fn func(*qualys.WebApp) error) error
	WebAppFindings(ctx context.Context, p qualys.FindingParams, fn func(*qualys.Finding) error) error
	Stats() qualys.Stats
	// ServerTime is the latest time the Qualys servers reported in the
	// answers received so far; zero when none did.
	ServerTime() time.Time
}

// Step ids.
const (
	StepAccount        = "fetch-account"
	StepServices       = "fetch-services"
	StepHostIDs        = "fetch-scanned-host-ids"
	StepHostDetails    = "fetch-scanned-host-details"
	StepHostDetections = "fetch-host-detections"
	StepWebApps        = "fetch-scanned-webapps"
	StepWebAppFindings = "fetch-scanned-webapp-findings"
	StepVulns          = "fetch-finding-vulns"
)

// Datasets with high-water marks.
const (
	DatasetDetections     = "detections"
	DatasetWebAppFindings = "webAppFindings"
	// DatasetScannedHosts and DatasetScannedWebApps mark the host and
	// web-app lists: the server time at which the last list was read
	// whose detections or findings were then read completely.
	DatasetScannedHosts   = "scannedHosts"
	DatasetScannedWebApps = "scannedWebApps"
)

// Report list names.
const (
	// ListMissingQIDs lists the QIDs the KnowledgeBase did not return.
	ListMissingQIDs = "qidsMissingFromKnowledgeBase"
)

// job holds what the steps of one job share.
type job struct {
	inst    config.Instance
	client  Client
	portal  *qualys.PortalVersion
	opts    FindingOptions
	full    bool
	findIdx *findingIndex

	mu        sync.Mutex
	hostIDs   []int64
	targets   map[int64]*hostTarget
	webAppIDs []int64
	haveHost  bool
	// hostsListed and appsListed are the server times at which the host
	// and web-app lists were asked for: the next marks of those lists,
	// proposed by the steps that read their detections and findings.
	hostsListed time.Time
	appsListed  time.Time
}

// Steps returns the steps of a job for inst. pv is the portal version read
// when the credentials were checked.
func Steps(inst config.Instance, client Client, pv *qualys.PortalVersion, full bool) []integration.Step {
	q := inst.Qualys
	j := &job{inst: inst, client: client, portal: pv, full: full, findIdx: newFindingIndex(), targets: map[int64]*hostTarget{}}
	j.opts = FindingOptions{Types: map[string]bool{}, ResultQIDs: map[int64]bool{}, Production: q.Production, Public: q.Public}
	for _, t := range q.VMDRFindingTypes {
		j.opts.Types[t] = true
	}
	for _, qid := range q.VMDRFindingResultQIDs {
		j.opts.ResultQIDs[qid] = true
	}
	partial := func(types []string) []string {
		if full {
			return nil
		}
		return types
	}
	vulnDeps := []string{StepHostDetections}
	if q.IngestWebAppScans {
		vulnDeps = append(vulnDeps, StepWebAppFindings)
	}
	vulnTypes := vulnStepTypes
	if !full {
		// An incremental run also links stored findings to the
		// vulnerabilities it fetches for them (see relinkStored).
		vulnTypes = append(slices.Clone(vulnStepTypes), RelHostFindingIsVuln, RelWebFindingIsVuln)
	}
	return []integration.Step{
		{ID: StepAccount, Name: "Fetch Account Details", Types: accountStepTypes, Run: j.account},
		{ID: StepServices, Name: "Fetch Services", DependsOn: []string{StepAccount}, Types: servicesStepTypes, Run: j.services},
		{ID: StepHostIDs, Name: "Fetch Scanned Host IDs", Run: j.scannedHostIDs},
		// An incremental run lists only the hosts scanned in its window, so
		// it upserts host targets and deletes none; only a full run, which
		// lists every host, replaces them.
		{ID: StepHostDetails, Name: "Fetch Scanned Host Details", DependsOn: []string{StepServices, StepHostIDs}, Types: hostScansTypes, PartialTypes: partial(hostScansTypes), Run: j.hostDetails},
		{ID: StepHostDetections, Name: "Fetch Scanned Host Findings", DependsOn: []string{StepHostDetails}, Types: hostFindingStepTypes, PartialTypes: partial(hostFindingStepTypes), Run: j.hostDetections},
		{ID: StepWebApps, Name: "Fetch Scanned Web Apps", DependsOn: []string{StepServices}, Types: webAppStepTypes, Run: j.webApps,
			Disabled: !q.IngestWebAppScans, DisabledReason: "ingestWebAppScans is false"},
		{ID: StepWebAppFindings, Name: "Fetch Scanned Web App Findings", DependsOn: []string{StepWebApps}, Types: webFindingStepTypes, PartialTypes: partial(webFindingStepTypes), Run: j.webAppFindings},
		{ID: StepVulns, Name: "Fetch Finding Vulnerability Details", DependsOn: vulnDeps, Types: vulnTypes, PartialTypes: partial(vulnTypes), Run: j.vulns},
	}
}

func (j *job) account(ctx context.Context, s *integration.StepContext) error {
	return s.AddEntities(ctx, AccountEntity(j.inst.Name, j.inst.Description, j.portal))
}

func (j *job) services(ctx context.Context, s *integration.StepContext) error {
	es, rs := ServiceEntities(j.inst.Name, j.portal)
	if err := s.AddEntities(ctx, es...); err != nil {
		return err
	}
	return s.AddRelationships(ctx, rs...)
}

// serverNow is the time the windows and high-water marks follow: the
// latest time Qualys reported in its answers so far, so that a local clock
// ahead of (or behind) the server's neither hides nor skips anything
// Qualys stamps. Before any answer carried a time it is the job's clock.
func (j *job) serverNow(s *integration.StepContext) time.Time {
	if t := j.client.ServerTime(); !t.IsZero() {
		return t
	}
	return s.Now()
}

// scannedSince is the start of the host or web-app list window of a
// dataset (DatasetScannedHosts, DatasetScannedWebApps): now −
// minScannedSinceDays, or the dataset's high-water mark when that is older,
// so that a gap between runs longer than the window is listed whole and a
// host or web app scanned early in it, and not since, is not skipped. A
// full run lists without a start. now must be the server's time
// (serverNow), as the marks are.
func (j *job) scannedSince(s *integration.StepContext, now time.Time, dataset string) time.Time {
	if j.full {
		return time.Time{}
	}
	since := now.Add(-days(j.inst.Qualys.MinScannedSinceDays))
	if mark := s.HighWaterMark(dataset); !mark.IsZero() && mark.Before(since) {
		since = mark
	}
	return since
}

func days(d float64) time.Duration { return time.Duration(d * float64(24*time.Hour)) }

func (j *job) scannedHostIDs(ctx context.Context, s *integration.StepContext) error {
	// No upper bound: one taken from the local clock would hide every host
	// Qualys processed at a later server time.
	now := j.serverNow(s)
	p := qualys.HostListParams{ProcessedAfter: j.scannedSince(s, now, DatasetScannedHosts)}
	defer j.countPages(s, qualys.EndpointHostList)()
	var ids []int64
	err := j.client.ScannedHostIDs(ctx, p, func(id int64) error {
		ids = append(ids, id)
		return nil
	})
	if err := pageErrors(s, err); err != nil {
		return fmt.Errorf("list scanned hosts: %w", err)
	}
	s.Count("hostIds", int64(len(ids)))
	s.Logger.Info("scanned hosts listed", "hosts", len(ids), "processedAfter", isoWindow(p.ProcessedAfter))
	j.mu.Lock()
	j.hostIDs, j.haveHost, j.hostsListed = ids, true, now
	j.mu.Unlock()
	return nil
}

func (j *job) hostDetails(ctx context.Context, s *integration.StepContext) error {
	j.mu.Lock()
	ids := j.hostIDs
	j.mu.Unlock()
	if len(ids) == 0 {
		return nil
	}
	defer j.countPages(s, qualys.EndpointHostAssets)()
	kinds := map[string]int64{}
	err := j.client.HostAssets(ctx, qualys.HostAssetParams{HostIDs: ids}, func(a *qualys.HostAsset) error {
		if a.QWebHostID == 0 {
			s.Count("assetsWithoutQwebHostId", 1)
			return nil
		}
		if !j.hostTagged(a) {
			s.Count("skippedByTag", 1)
			return nil
		}
		e, t, err := HostTarget(a)
		if err != nil {
			return err
		}
		j.mu.Lock()
		j.targets[a.QWebHostID] = &t
		j.mu.Unlock()
		kinds[t.Type]++
		return s.AddMappings(ctx, ScansMapping(e, a.QWebHostID))
	})
	for k, n := range kinds {
		s.Count("hosts."+k, n)
	}
	if err := pageErrors(s, err); err != nil {
		return fmt.Errorf("read host assets: %w", err)
	}
	return nil
}

// hostTagged reports whether a host asset carries one of the configured
// includeOnlyDetectionTags (always true when none are configured), so that
// the tag filter applies to hosts as well as to detections.
func (j *job) hostTagged(a *qualys.HostAsset) bool {
	want := j.inst.Qualys.IncludeOnlyDetectionTags
	if len(want) == 0 {
		return true
	}
	for _, t := range a.Tags {
		for _, w := range want {
			if strings.EqualFold(strings.TrimSpace(t.Name), w) {
				return true
			}
		}
	}
	return false
}

// window returns the start of a finding dataset's read window and proposes
// its new marks: the window starts at the dataset's high-water mark, however
// old (a long gap between runs is read whole, never skipped), or at
// now − days when there is none or when the configured days reach further
// back than what was read before (back-fill).
// A full run reads without a start. now must be the server's time read
// before the dataset is read (serverNow): it becomes the next mark, and the
// read has no upper bound, so whatever Qualys stamps from then on is read
// by the next run.
func (j *job) window(s *integration.StepContext, now time.Time, dataset string, d float64) time.Time {
	floor := now.Add(-days(d))
	mark, from := s.HighWaterMark(dataset), s.HighWaterMark(dataset+".from")
	since, newFrom := mark, from
	switch {
	case j.full:
		since, newFrom = time.Time{}, time.Unix(0, 0).UTC()
	case mark.IsZero() || from.IsZero() || floor.Before(from):
		since, newFrom = floor, floor
	}
	s.SetHighWaterMark(dataset, now)
	s.SetHighWaterMark(dataset+".from", newFrom)
	return since
}

func (j *job) hostDetections(ctx context.Context, s *integration.StepContext) error {
	j.mu.Lock()
	ids, haveHosts, listed := j.hostIDs, j.haveHost, j.hostsListed
	j.mu.Unlock()
	// The host targets serve only this step; the job's later phases (the
	// commit and the mapper) need their memory more.
	defer func() {
		j.mu.Lock()
		j.targets = nil
		j.mu.Unlock()
	}()
	q := j.inst.Qualys
	since := j.window(s, j.serverNow(s), DatasetDetections, q.MinFindingsSinceDays)
	if !haveHosts {
		s.MarkPartial("the scanned host list is not available")
		return errors.New("no host list: fetch-scanned-host-ids did not finish")
	}
	// The host list's mark moves only with the detections of its hosts:
	// if they are not all read, the next run lists the same hosts again.
	if !listed.IsZero() {
		s.SetHighWaterMark(DatasetScannedHosts, listed)
	}
	if len(ids) == 0 {
		return nil
	}
	p := qualys.DetectionParams{
		HostIDs:      ids,
		UpdatedSince: since,
		Severities:   q.VMDRFindingSeverities,
		Statuses:     q.VMDRFindingStatuses,
		ShowResults:  len(q.VMDRFindingResultQIDs) > 0,
		ShowIGs:      j.opts.Types["Info"],
		IncludeTags:  q.IncludeOnlyDetectionTags,
		ShowQDS:      true,
	}
	s.Logger.Info("reading detections", "hosts", len(ids), "updatedSince", isoWindow(since))
	defer j.countPages(s, qualys.EndpointHostDetections)()
	var findings, skippedType, skippedQID, hosts, fallback int64
	err := j.client.HostDetections(ctx, p, func(h *qualys.DetectionHost) error {
		hosts++
		j.mu.Lock()
		t := j.targets[h.ID]
		j.mu.Unlock()
		if t == nil {
			ft := fallbackTarget(h)
			t = &ft
			fallback++
		}
		// The host's entity is decoded once, on its first kept finding,
		// and every HAS link of the host carries that same entity.
		var host graph.Entity
		decoded := false
		for i := range h.Detections {
			d := &h.Detections[i]
			if d.QID <= 0 {
				skippedQID++
				continue
			}
			if !j.opts.keepType(d.Type) {
				skippedType++
				continue
			}
			if !decoded {
				var err error
				if host, err = t.entity(); err != nil {
					return err
				}
				decoded = true
			}
			e := HostFinding(h, d, t, &j.opts)
			rels, has := HostFindingLinks(e.Key, d.QID, t, host)
			if err := s.AddEntities(ctx, e); err != nil {
				return err
			}
			if err := s.AddRelationships(ctx, rels...); err != nil {
				return err
			}
			if err := s.AddMappings(ctx, has); err != nil {
				return err
			}
			j.findIdx.addHost(h.ID, d.Port, d.Protocol, d.QID, d.SSL)
			findings++
		}
		return nil
	})
	s.Count("hosts", hosts)
	s.Count("findings", findings)
	s.Count("skippedByType", skippedType)
	s.Count("skippedBadQid", skippedQID)
	s.Count("hostsWithoutAsset", fallback)
	if err := pageErrors(s, err); err != nil {
		return fmt.Errorf("read host detections: %w", err)
	}
	return nil
}

func (j *job) webApps(ctx context.Context, s *integration.StepContext) error {
	q := j.inst.Qualys
	scanned := true
	now := j.serverNow(s)
	p := qualys.WebAppParams{IDs: q.WebAppScanApplicationIDs, Scanned: &scanned, LastScanAfter: j.scannedSince(s, now, DatasetScannedWebApps)}
	defer j.countPages(s, qualys.EndpointWebApps)()
	var ids []int64
	err := j.client.WebApps(ctx, p, func(w *qualys.WebApp) error {
		e := WebAppEntity(w)
		ids = append(ids, w.ID)
		if err := s.AddEntities(ctx, e); err != nil {
			return err
		}
		return s.AddRelationships(ctx, WebAppScanned(e.Key))
	})
	s.Count("webApps", int64(len(ids)))
	j.mu.Lock()
	j.webAppIDs, j.appsListed = ids, now
	j.mu.Unlock()
	var api *qualys.APIError
	if errors.As(err, &api) && api.IsAuth() {
		// The subscription or the user has no WAS: keep what earlier
		// jobs stored instead of failing every run.
		s.MarkPartial("WAS is not available to this user: " + api.Error())
		return nil
	}
	if err := pageErrors(s, err); err != nil {
		return fmt.Errorf("read web apps: %w", err)
	}
	return nil
}

func (j *job) webAppFindings(ctx context.Context, s *integration.StepContext) error {
	q := j.inst.Qualys
	since := j.window(s, j.serverNow(s), DatasetWebAppFindings, q.MinFindingsSinceDays)
	// WAS answers carry no server time, so the next mark follows the data:
	// the latest test date read, a second early so that a finding tested
	// in that same second but not yet visible is read again next time.
	// With nothing read the window's start stays the mark.
	var lastTested time.Time
	defer func() {
		mark := since
		if t := lastTested.Add(-time.Second); t.After(mark) {
			mark = t
		}
		s.SetHighWaterMark(DatasetWebAppFindings, mark)
	}()
	j.mu.Lock()
	apps, listed := j.webAppIDs, j.appsListed
	j.mu.Unlock()
	// As for hosts, the web-app list's mark moves only with the findings
	// of its apps.
	if !listed.IsZero() {
		s.SetHighWaterMark(DatasetScannedWebApps, listed)
	}
	if len(apps) == 0 {
		return nil
	}
	// The window follows the last test, not the last detection, so that a
	// finding fixed since the last run (re-tested, not re-detected) is
	// read again and closed.
	p := qualys.FindingParams{WebAppIDs: apps, LastTestedAfter: since, Types: q.WASFindingTypes, Severities: q.WASFindingSeverities}
	defer j.countPages(s, qualys.EndpointFindings)()
	var n, skipped int64
	err := j.client.WebAppFindings(ctx, p, func(f *qualys.Finding) error {
		if f.LastTested.After(lastTested) {
			lastTested = f.LastTested
		}
		e, ok := WebFinding(f, &j.opts)
		if !ok {
			skipped++
			return nil
		}
		if err := s.AddEntities(ctx, e); err != nil {
			return err
		}
		if err := s.AddRelationships(ctx, WebFindingLinks(e.Key, f)...); err != nil {
			return err
		}
		if f.QID > 0 {
			j.findIdx.addWeb(f.QID, e.Key)
		}
		n++
		return nil
	})
	s.Count("findings", n)
	s.Count("skippedNoUniqueId", skipped)
	if err := pageErrors(s, err); err != nil {
		return fmt.Errorf("read web app findings: %w", err)
	}
	return nil
}

func (j *job) vulns(ctx context.Context, s *integration.StepContext) error {
	qids := j.findIdx.qids()
	// The finding index serves only this step.
	defer func() { j.findIdx = newFindingIndex() }()
	// An incremental job also fetches the vulnerabilities that findings
	// stored by earlier jobs lack (see repair.go); a full job re-reads
	// every finding it keeps. A store that cannot be read fails the step,
	// but only after the job's own vulnerabilities were read.
	var stored map[int64]bool
	var storeErr error
	if !j.full {
		stored, storeErr = storedQIDsWithoutVuln(ctx, s)
		s.Count("storedQidsWithoutVuln", int64(len(stored)))
		inJob := make(map[int64]bool, len(qids))
		for _, q := range qids {
			inJob[q] = true
		}
		for q := range stored {
			if !inJob[q] {
				qids = append(qids, q)
			}
		}
	}
	if len(qids) == 0 {
		return storeErr
	}
	defer j.countPages(s, qualys.EndpointKnowledgeBase)()
	seen := make(map[int64]bool, len(qids))
	storedCVEs := map[int64][]graph.Entity{}
	var cveLinks int64
	err := j.client.KnowledgeBase(ctx, qualys.KBParams{QIDs: qids}, func(v *qualys.Vuln) error {
		seen[v.QID] = true
		if err := s.AddEntities(ctx, VulnEntity(v, j.client.APIURL(), &j.opts)); err != nil {
			return err
		}
		cves := cveEntities(v.CVEs)
		if len(cves) == 0 {
			return nil
		}
		if stored[v.QID] {
			storedCVEs[v.QID] = cves
		}
		hostKeys, webKeys := j.findIdx.hostKeys(v.QID), j.findIdx.webKeys(v.QID)
		for _, cve := range cves {
			for _, key := range hostKeys {
				if err := s.AddMappings(ctx, CVEMapping(key, RelHostFindingIsCVE, cve)); err != nil {
					return err
				}
				cveLinks++
			}
			for _, key := range webKeys {
				if err := s.AddMappings(ctx, CVEMapping(key, RelWebFindingIsCVE, cve)); err != nil {
					return err
				}
				cveLinks++
			}
		}
		return nil
	})
	s.Count("vulns", int64(len(seen)))
	s.Count("cveLinks", cveLinks)
	if err := pageErrors(s, err); err != nil {
		return fmt.Errorf("read knowledge base: %w", err)
	}
	// Link the stored findings of every QID fetched for them, also when
	// some pages failed: what was read is complete.
	var relink []int64
	for q := range stored {
		if seen[q] {
			relink = append(relink, q)
		}
	}
	linked, err := relinkStored(ctx, s, relink, storedCVEs)
	s.Count("repairedLinks", linked)
	if err != nil {
		return err
	}
	if linked > 0 {
		s.Event(slog.LevelInfo, fmt.Sprintf("linked %d findings stored earlier to the %d vulnerabilities they lacked", linked, len(relink)))
	}
	var missing []string
	for _, q := range qids {
		if !seen[q] {
			missing = append(missing, strconv.FormatInt(q, 10))
		}
	}
	if len(missing) > 0 {
		s.Count("qidsMissing", int64(len(missing)))
		s.Note(ListMissingQIDs, sortNumeric(missing)...)
		s.Event(slog.LevelWarn, fmt.Sprintf("%d QIDs are not in the KnowledgeBase; their findings have no vulnerability details", len(missing)))
	}
	return storeErr
}

// cveEntities returns the cve entities of a vulnerability's references
// that name a CVE.
func cveEntities(refs []qualys.Reference) []graph.Entity {
	var out []graph.Entity
	for _, ref := range refs {
		if cve, ok := CVEEntity(ref); ok {
			out = append(out, cve)
		}
	}
	return out
}

// pageErrors records each *qualys.PageError of err as a failed page and
// returns what is left: an error that stopped the call.
func pageErrors(s *integration.StepContext, err error) error {
	if err == nil {
		return nil
	}
	var rest []error
	var walk func(error)
	walk = func(e error) {
		if multi, ok := e.(interface{ Unwrap() []error }); ok {
			for _, x := range multi.Unwrap() {
				walk(x)
			}
			return
		}
		var pe *qualys.PageError
		if errors.As(e, &pe) && !isStopping(pe.Err) {
			s.PageFailed(pe)
			return
		}
		rest = append(rest, e)
	}
	walk(err)
	return errors.Join(rest...)
}

// isStopping reports whether a page's cause stops the whole call
// (authentication, cancellation).
func isStopping(err error) bool {
	var api *qualys.APIError
	if errors.As(err, &api) && api.IsAuth() {
		return true
	}
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// countPages records in the step report the pages the endpoint retried
// while the step ran; call the returned func at the end.
func (j *job) countPages(s *integration.StepContext, endpoint string) func() {
	before := j.client.Stats().ByEndpoint[endpoint]
	return func() {
		after := j.client.Stats().ByEndpoint[endpoint]
		s.PagesRetried(after.Retried - before.Retried)
		s.Count("pages", after.Fetched-before.Fetched)
	}
}

// sortNumeric sorts decimal ids by value.
func sortNumeric(ids []string) []string {
	sort.Slice(ids, func(a, b int) bool {
		x, _ := strconv.ParseInt(ids[a], 10, 64)
		y, _ := strconv.ParseInt(ids[b], 10, 64)
		return x < y
	})
	return ids
}
