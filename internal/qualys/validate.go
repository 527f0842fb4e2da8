package qualys

import (
	"fmt"
	"strings"
)

// detectionStatuses are the values Qualys accepts in status.
var detectionStatuses = []string{"New", "Active", "Fixed", "Re-Opened"}

func checkSeverities(what string, sev []int) error {
	for _, s := range sev {
		if s < 1 || s > 5 {
			return fmt.Errorf("qualys: %s: severity %d is out of range (1-5)", what, s)
		}
	}
	return nil
}

func checkNoComma(what, field string, vals []string) error {
	for _, v := range vals {
		if strings.Contains(v, ",") || strings.TrimSpace(v) == "" {
			return fmt.Errorf("qualys: %s: %s value %q is empty or holds a comma", what, field, v)
		}
	}
	return nil
}

func (p *DetectionParams) validate() error {
	const what = "host detection params"
	if err := checkSeverities(what, p.Severities); err != nil {
		return err
	}
	for _, s := range p.Statuses {
		ok := false
		for _, v := range detectionStatuses {
			ok = ok || s == v
		}
		if !ok {
			return fmt.Errorf("qualys: %s: status %q is not one of %s", what, s, strings.Join(detectionStatuses, ", "))
		}
	}
	if p.ChunkSize < 0 {
		return fmt.Errorf("qualys: %s: negative chunk size %d", what, p.ChunkSize)
	}
	switch p.HostMetadata {
	case "", "all", "ec2", "azure", "google":
	default:
		return fmt.Errorf("qualys: %s: host metadata %q is not all, ec2, azure or google", what, p.HostMetadata)
	}
	if err := checkNoComma(what, "include tag", p.IncludeTags); err != nil {
		return err
	}
	return checkNoComma(what, "exclude tag", p.ExcludeTags)
}

func (p *KBParams) validate() error {
	switch p.Details {
	case "", "Basic", "All":
	default:
		return fmt.Errorf("qualys: knowledge base params: details %q is not Basic or All", p.Details)
	}
	if p.ChunkSize < 0 {
		return fmt.Errorf("qualys: knowledge base params: negative chunk size %d", p.ChunkSize)
	}
	return nil
}

func (p *FindingParams) validate() error {
	const what = "web app finding params"
	if err := checkSeverities(what, p.Severities); err != nil {
		return err
	}
	if err := checkNoComma(what, "status", p.Statuses); err != nil {
		return err
	}
	return checkNoComma(what, "type", p.Types)
}
