package qualys

// PortalVersion is the answer of the portal version endpoint: the module
// versions as an open map of element name to text, since the set of modules
// and their names change over time.
type PortalVersion struct {
	// Portal maps each Portal-Version child (e.g. "WAS-VERSION",
	// "QWEB__VM-VERSION") to its text.
	Portal map[string]string
	// QWeb maps each QWeb-Version child (e.g. "VULNSIGS-VERSION") to its text.
	QWeb map[string]string
}

// VMVersion returns the VM module version, read from QWEB__VM-VERSION
// (current portals) or VM-VERSION (older ones).
func (p *PortalVersion) VMVersion() string {
	if v := p.Portal["QWEB__VM-VERSION"]; v != "" {
		return v
	}
	return p.Portal["VM-VERSION"]
}

// WASVersion returns the WAS module version.
func (p *PortalVersion) WASVersion() string { return p.Portal["WAS-VERSION"] }

// ApplicationVersion returns the portal application version.
func (p *PortalVersion) ApplicationVersion() string { return p.Portal["PortalApplication-VERSION"] }
