package qualys

import "encoding/xml"

func decodeWASUser(x *xmlReader) (*WASUser, error) {
	u := &WASUser{}
	err := eachChild(x, func(g xml.StartElement) error {
		var err error
		switch g.Name.Local {
		case "id":
			u.ID, err = x.int("user id")
		case "username":
			u.Username, err = x.str()
		case "firstName":
			u.FirstName, err = x.str()
		case "lastName":
			u.LastName, err = x.str()
		default:
			err = x.skip()
		}
		return err
	})
	return u, err
}

// decodeWASTags reads tags {count, list/Tag{id,name}}; it returns the count.
func decodeWASTags(x *xmlReader, out *[]WASTag) (int64, error) {
	var count int64
	err := eachChild(x, func(g xml.StartElement) error {
		switch g.Name.Local {
		case "count":
			var err error
			count, err = x.int("tags/count")
			return err
		case "list":
			return eachChild(x, func(it xml.StartElement) error {
				var t WASTag
				err := eachChild(x, func(h xml.StartElement) error {
					var err error
					switch h.Name.Local {
					case "id":
						t.ID, err = x.int("tag id")
					case "name":
						t.Name, err = x.str()
					default:
						err = x.skip()
					}
					return err
				})
				*out = append(*out, t)
				return err
			})
		}
		return x.skip()
	})
	return count, err
}

// decodeStringList reads {count, list/<item>text</item>...}.
func decodeStringList(x *xmlReader, out *[]string) error {
	return eachListItem(x, func(it xml.StartElement) error {
		s, err := x.str()
		*out = append(*out, s)
		return err
	})
}

// decodeWebApp reads one WebApp element, just started.
func decodeWebApp(x *xmlReader) (*WebApp, error) {
	w := &WebApp{}
	err := eachChild(x, func(f xml.StartElement) error {
		var err error
		n := f.Name.Local
		switch n {
		case "id":
			w.ID, err = x.int(n)
		case "name":
			w.Name, err = x.raw()
		case "url":
			w.URL, err = x.str()
		case "os":
			w.OS, err = x.str()
		case "riskScore":
			w.RiskScore, err = x.int(n)
		case "owner":
			w.Owner, err = decodeWASUser(x)
		case "createdBy":
			w.CreatedBy, err = decodeWASUser(x)
		case "updatedBy":
			w.UpdatedBy, err = decodeWASUser(x)
		case "tags":
			w.TagCount, err = decodeWASTags(x, &w.Tags)
		case "createdDate":
			w.Created, err = x.time(n)
		case "updatedDate":
			w.Updated, err = x.time(n)
		case "scope":
			w.Scope, err = x.str()
		case "subDomain":
			w.SubDomain, err = x.str()
		case "domains":
			err = decodeStringList(x, &w.Domains)
		case "uris":
			err = decodeStringList(x, &w.URIs)
		case "attributes":
			err = eachListItem(x, func(it xml.StartElement) error {
				var kv KeyValue
				err := decodePair(x, "name", "value", &kv.Key, &kv.Value)
				w.Attributes = append(w.Attributes, kv)
				return err
			})
		case "defaultProfile":
			p := &IDName{}
			err = eachChild(x, func(g xml.StartElement) error {
				var err error
				switch g.Name.Local {
				case "id":
					p.ID, err = x.int("defaultProfile/id")
				case "name":
					p.Name, err = x.str()
				default:
					err = x.skip()
				}
				return err
			})
			w.DefaultProfile = p
		case "defaultScanner":
			s := &WASScanner{}
			err = eachChild(x, func(g xml.StartElement) error {
				var err error
				switch g.Name.Local {
				case "id":
					s.ID, err = x.int("defaultScanner/id")
				case "type":
					s.Type, err = x.str()
				case "name":
					s.Name, err = x.str()
				case "friendlyName":
					s.FriendlyName, err = x.str()
				default:
					err = x.skip()
				}
				return err
			})
			w.DefaultScanner = s
		case "scannerLocked":
			w.ScannerLocked, err = x.bool(n)
		case "progressiveScanning":
			w.ProgressiveScanning, err = x.bool(n)
		case "isScheduled":
			w.IsScheduled, err = x.bool(n)
		case "malwareMonitoring":
			w.MalwareMonitoring, err = x.bool(n)
		case "lastScan":
			ls := &WASLastScan{}
			err = eachChild(x, func(g xml.StartElement) error {
				var err error
				switch g.Name.Local {
				case "id":
					ls.ID, err = x.int("lastScan/id")
				case "name":
					ls.Name, err = x.raw()
				case "status":
					ls.Status, err = x.str()
				case "date":
					ls.Date, err = x.time("lastScan/date")
				case "summary":
					err = decodePair(x, "resultsStatus", "authStatus", &ls.ResultsStatus, &ls.AuthStatus)
				default:
					err = x.skip()
				}
				return err
			})
			w.LastScan = ls
		default:
			err = x.skip()
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return w, nil
}

// decodeFinding reads one Finding element, just started.
func decodeFinding(x *xmlReader) (*Finding, error) {
	fd := &Finding{}
	err := eachChild(x, func(f xml.StartElement) error {
		var err error
		n := f.Name.Local
		switch n {
		case "id":
			fd.ID, err = x.int(n)
		case "uniqueId":
			fd.UniqueID, err = x.str()
		case "qid":
			fd.QID, err = x.int(n)
		case "detectionScore":
			fd.DetectionScore, err = x.int(n)
		case "name":
			fd.Name, err = x.raw()
		case "type":
			fd.Type, err = x.str()
		case "potential":
			fd.Potential, err = x.bool(n)
		case "findingType":
			fd.FindingType, err = x.str()
		case "group":
			fd.Group, err = x.str()
		case "param":
			fd.Param, err = x.raw()
		case "severity":
			fd.Severity, err = x.int(n)
		case "url":
			fd.URL, err = x.str()
		case "status":
			fd.Status, err = x.str()
		case "timesDetected":
			fd.TimesDetected, err = x.intPtr(n)
		case "isIgnored":
			fd.IsIgnored, err = x.boolPtr(n)
		case "firstDetectedDate":
			fd.FirstDetected, err = x.time(n)
		case "lastDetectedDate":
			fd.LastDetected, err = x.time(n)
		case "lastTestedDate":
			fd.LastTested, err = x.time(n)
		case "fixedDate":
			fd.Fixed, err = x.time(n)
		case "updatedDate":
			fd.Updated, err = x.time(n)
		case "webApp":
			err = eachChild(x, func(g xml.StartElement) error {
				var err error
				switch g.Name.Local {
				case "id":
					fd.WebApp.ID, err = x.int("webApp/id")
				case "name":
					fd.WebApp.Name, err = x.raw()
				case "url":
					fd.WebApp.URL, err = x.str()
				case "tags":
					_, err = decodeWASTags(x, &fd.WebApp.Tags)
				default:
					err = x.skip()
				}
				return err
			})
		case "ignoredReason":
			fd.IgnoredReason, err = x.str()
		case "ignoredBy":
			fd.IgnoredBy, err = decodeWASUser(x)
		case "ignoredDate":
			fd.IgnoredDate, err = x.time(n)
		case "ignoredComment":
			fd.IgnoredComment, err = x.raw()
		case "reactivateIn":
			fd.ReactivateIn, err = x.int(n)
		case "reactivateDate":
			fd.ReactivateDate, err = x.time(n)
		case "externalRef":
			fd.ExternalRef, err = x.str()
		case "patch":
			fd.Patch, err = x.int(n)
		case "severityComment":
			fd.SeverityComment, err = x.raw()
		case "cwe":
			err = eachListItem(x, func(it xml.StartElement) error {
				v, err := x.int("cwe")
				fd.CWE = append(fd.CWE, v)
				return err
			})
		case "owasp":
			err = decodeClassifications(x, &fd.OWASP)
		case "wasc":
			err = decodeClassifications(x, &fd.WASC)
		case "cvssV3":
			c := &FindingCVSS{}
			err = eachChild(x, func(g xml.StartElement) error {
				var err error
				switch g.Name.Local {
				case "base":
					c.Base, err = x.float("cvssV3/base")
				case "temporal":
					c.Temporal, err = x.float("cvssV3/temporal")
				case "attackVector":
					c.AttackVector, err = x.str()
				default:
					err = x.skip()
				}
				return err
			})
			fd.CVSSv3 = c
		default:
			err = x.skip()
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return fd, nil
}

func decodeClassifications(x *xmlReader, out *[]Classification) error {
	return eachListItem(x, func(it xml.StartElement) error {
		var c Classification
		err := eachChild(x, func(g xml.StartElement) error {
			var err error
			switch g.Name.Local {
			case "name":
				c.Name, err = x.str()
			case "url":
				c.URL, err = x.str()
			case "code":
				c.Code, err = x.int("code")
			default:
				err = x.skip()
			}
			return err
		})
		*out = append(*out, c)
		return err
	})
}
