package console

import (
	"bytes"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/medshield/medshield/internal/event"
	"github.com/medshield/medshield/internal/posture"
	"github.com/medshield/medshield/internal/server"
	"github.com/medshield/medshield/internal/store"
	"github.com/medshield/medshield/internal/vuln"
	"github.com/medshield/medshield/internal/vuln/winpatch"
)

// osvMaxAge: an OSV database imported longer ago than this is flagged.
const osvMaxAge = 7 * 24 * time.Hour

// postureHost is one host's latest vulnerability summary.
type postureHost struct {
	ID, Name, Hospital, Department, OS string
	HasData                            bool
	At                                 time.Time
	InventoryID                        string
	Critical, High, Medium, Low, Other int
	Total                              int
	MS17010, SMB1                      string
	summary                            event.Event
}

// postureHospital aggregates the hosts of one hospital.
type postureHospital struct {
	Name    string
	Hosts   []postureHost
	Summary vuln.Summary
	NoData  int
	Missing []postureHost // hosts whose MS17-010 check says vulnerable
}

// postureDB is what the newest summary says about the OSV database.
type postureDB struct {
	Known, Missing, Stale bool
	ImportedAt            time.Time
	Records               int
}

// postureData reads the newest summary of every host the user may see,
// optionally limited to one hospital, grouped by hospital.
func (c *Console) postureData(r *http.Request, p *server.Principal, hospital string) ([]postureHospital, postureDB, error) {
	agents, err := c.srv.Store().ListAgents(r.Context(), p.Scope())
	if err != nil {
		return nil, postureDB{}, err
	}
	byHospital := map[string]*postureHospital{}
	var results = map[string][]vuln.HostResult{}
	var db postureDB
	var newest time.Time
	for _, a := range agents {
		if hospital != "" && a.Organization != hospital {
			continue
		}
		h := postureHost{ID: a.ID, Name: a.HostName, Hospital: a.Organization, Department: a.Unit}
		page, err := c.srv.Store().QueryEvents(r.Context(), store.EventQuery{Kind: event.KindState, HostID: a.ID,
			Fields: map[string]string{"event.dataset": posture.DatasetSummary}, Limit: 1})
		if err != nil {
			return nil, db, err
		}
		ph := byHospital[a.Organization]
		if ph == nil {
			ph = &postureHospital{Name: a.Organization}
			byHospital[a.Organization] = ph
		}
		if len(page.Events) == 0 {
			ph.NoData++
			ph.Hosts = append(ph.Hosts, h)
			continue
		}
		s := page.Events[0]
		h.HasData, h.At, h.summary = true, s.Timestamp, s
		h.InventoryID, _ = s.Fields["inventory.id"].(string)
		h.OS, _ = s.Fields["os.name"].(string)
		h.Critical, h.High = posture.IntField(s, "count.critical"), posture.IntField(s, "count.high")
		h.Medium, h.Low, h.Other = posture.IntField(s, "count.medium"), posture.IntField(s, "count.low"), posture.IntField(s, "count.unknown")
		h.Total = posture.IntField(s, "findings.count")
		h.MS17010, _ = s.Fields["ms17_010"].(string)
		h.SMB1, _ = s.Fields["smb1.server"].(string)
		ph.Hosts = append(ph.Hosts, h)
		if h.MS17010 == string(winpatch.Vulnerable) {
			ph.Missing = append(ph.Missing, h)
		}
		hr := vuln.HostResult{Host: h.Name}
		for _, l := range posture.StringList(s.Fields["findings"]) {
			col := strings.Split(l, "\t")
			if len(col) >= 3 {
				hr.Findings = append(hr.Findings, vuln.Finding{Key: col[0], SourcePackage: col[1], Severity: col[2]})
			}
		}
		if h.MS17010 != "" {
			hr.Patches = []winpatch.Result{{ID: "MS17-010", Status: winpatch.Status(h.MS17010)}}
		}
		results[a.Organization] = append(results[a.Organization], hr)
		if s.Timestamp.After(newest) {
			newest = s.Timestamp
			db = postureDB{Known: true, Missing: s.Fields["db.missing"] == true, Records: posture.IntField(s, "db.records")}
			if t, err := time.Parse(time.RFC3339, stringField(s, "db.imported_at")); err == nil {
				db.ImportedAt = t
				db.Stale = c.srv.Now().Sub(t) > osvMaxAge
			}
		}
	}
	out := make([]postureHospital, 0, len(byHospital))
	for name, ph := range byHospital {
		ph.Summary = vuln.Summarize(results[name], 10)
		sort.Slice(ph.Hosts, func(i, j int) bool {
			a, b := ph.Hosts[i], ph.Hosts[j]
			if a.Critical != b.Critical {
				return a.Critical > b.Critical
			}
			if a.High != b.High {
				return a.High > b.High
			}
			return a.Name < b.Name
		})
		out = append(out, *ph)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, db, nil
}

func stringField(ev event.Event, name string) string {
	s, _ := ev.Fields[name].(string)
	return s
}

// posture is the overview: per hospital and per host.
func (c *Console) posture(w http.ResponseWriter, r *http.Request, p *server.Principal) {
	hospital := r.URL.Query().Get("hospital")
	hs, db, err := c.postureData(r, p, hospital)
	if err != nil {
		c.fail(w, r, p, "posture", err)
		return
	}
	c.render(w, r, p, "posture", http.StatusOK, view{Data: map[string]any{"Hospitals": hs, "DB": db, "Hospital": hospital}})
}

// postureFinding is one finding row of a host.
type postureFinding struct {
	Key, Name, Severity, Class, Package, Installed, Fixed, Ecosystem, FirstSeen, Explanation string
	IDs                                                                                      []string
	Score                                                                                    int
}

// postureHostPage lists one host's current findings with their explanation.
func (c *Console) postureHostPage(w http.ResponseWriter, r *http.Request, p *server.Principal) {
	a, err := c.scoped(r, p)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	q := store.EventQuery{Kind: event.KindState, HostID: a.ID, Fields: map[string]string{"event.dataset": posture.DatasetSummary}, Limit: 1}
	page, err := c.srv.Store().QueryEvents(r.Context(), q)
	if err != nil {
		c.fail(w, r, p, "posture", err)
		return
	}
	data := map[string]any{"Host": c.srv.View(a)}
	if len(page.Events) > 0 {
		sum := page.Events[0]
		data["Summary"] = sum
		data["Fixed"] = splitLines(posture.StringList(sum.Fields["fixed"]))
		data["Patches"] = splitLines(posture.StringList(sum.Fields["patches"]))
		fq := store.EventQuery{Kind: event.KindState, HostID: a.ID, Limit: 1000, Fields: map[string]string{
			"event.dataset": posture.DatasetFinding, "assessment.id": stringField(sum, "assessment.id")}}
		fp, err := c.srv.Store().QueryEvents(r.Context(), fq)
		if err != nil {
			c.fail(w, r, p, "posture", err)
			return
		}
		var fs []postureFinding
		for _, e := range fp.Events {
			f := postureFinding{Key: ruleID(e), Severity: stringField(e, "vuln.severity"), Package: stringField(e, "source_package"),
				Installed: stringField(e, "installed_version"), Fixed: stringField(e, "fixed_version"), Ecosystem: stringField(e, "ecosystem"),
				FirstSeen: stringField(e, "first_seen"), Explanation: stringField(e, "explanation"), IDs: posture.StringList(e.Fields["ids"]), Score: e.Severity}
			if e.Rule != nil {
				f.Name = e.Rule.Name
			}
			if f.Package == "" {
				f.Package = stringField(e, "package")
			}
			f.Class = "sev-" + strings.ToLower(f.Severity)
			fs = append(fs, f)
		}
		sort.Slice(fs, func(i, j int) bool {
			if fs[i].Score != fs[j].Score {
				return fs[i].Score > fs[j].Score
			}
			return fs[i].Package+fs[i].Key < fs[j].Package+fs[j].Key
		})
		data["Findings"] = fs
	}
	c.render(w, r, p, "posture", http.StatusOK, view{Data: data})
}

func ruleID(e event.Event) string {
	if e.Rule == nil {
		return ""
	}
	return e.Rule.ID
}

func splitLines(ls []string) [][]string {
	out := make([][]string, 0, len(ls))
	for _, l := range ls {
		out = append(out, strings.Split(l, "\t"))
	}
	return out
}

// postureReport is a print-friendly per-hospital report (等保 evidence for
// the 入侵防范 control: known vulnerabilities are found and tracked).
func (c *Console) postureReport(w http.ResponseWriter, r *http.Request, p *server.Principal) {
	hospital := r.URL.Query().Get("hospital")
	if hospital == "" {
		hospital = p.Scope()
	}
	if hospital == "" {
		http.Error(w, "choose a hospital: /posture/report?hospital=NAME", http.StatusBadRequest)
		return
	}
	hs, db, err := c.postureData(r, p, hospital)
	if err != nil {
		c.fail(w, r, p, "posture", err)
		return
	}
	if len(hs) == 0 {
		http.NotFound(w, r)
		return
	}
	v := view{Lang: pickLang(r), Page: "posture_report", Data: map[string]any{
		"H": hs[0], "DB": db, "Generated": c.srv.Now(), "By": p.User.Name, "Back": "/posture?hospital=" + url.QueryEscape(hospital)}}
	v.T = translator(v.Lang)
	var buf bytes.Buffer
	if err := c.pages["posture"].ExecuteTemplate(&buf, "posture-report", v); err != nil {
		c.log.Error("render", "page", "posture-report", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(buf.Bytes())
}
