package rest

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"io"
	"strings"
)

// jsonToCSV renders a JSON array of objects as CSV: a header of the first
// object's keys in order, then one line per object. Nested values are
// written as JSON, null as an empty field.
func jsonToCSV(body []byte) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var out bytes.Buffer
	w := csv.NewWriter(&out)
	if t, err := dec.Token(); err != nil || t != json.Delim('[') {
		return body, nil //nolint:nilerr // not an array: leave it as it is
	}
	var header []string
	first := true
	for dec.More() {
		var obj orderedObject
		if err := dec.Decode(&obj); err != nil {
			return nil, err
		}
		if first {
			header = obj.keys
			if err := w.Write(header); err != nil {
				return nil, err
			}
			first = false
		}
		rec := make([]string, len(header))
		for i, k := range header {
			rec[i] = csvValue(obj.vals[k])
		}
		if err := w.Write(rec); err != nil {
			return nil, err
		}
	}
	w.Flush()
	return bytes.TrimSuffix(out.Bytes(), []byte("\n")), w.Error()
}

func csvValue(raw json.RawMessage) string {
	s := strings.TrimSpace(string(raw))
	switch {
	case s == "null" || s == "":
		return ""
	case s[0] == '"':
		var v string
		_ = json.Unmarshal(raw, &v)
		return v
	}
	return s
}

// orderedObject decodes a JSON object keeping its key order.
type orderedObject struct {
	keys []string
	vals map[string]json.RawMessage
}

func (o *orderedObject) UnmarshalJSON(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	if _, err := dec.Token(); err != nil {
		return err
	}
	o.vals = map[string]json.RawMessage{}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return err
		}
		k, _ := t.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return err
		}
		o.keys = append(o.keys, k)
		o.vals[k] = v
	}
	return nil
}

// csvToJSON turns a CSV body (a header line, then rows) into a JSON array
// of objects of strings; "NULL" is null, as PostgREST reads it.
func csvToJSON(b []byte) ([]byte, error) {
	r := csv.NewReader(bytes.NewReader(b))
	header, err := r.Read()
	if err != nil {
		return nil, invalidBodyError(err.Error())
	}
	var rows []map[string]any
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, invalidBodyError(err.Error())
		}
		row := map[string]any{}
		for i, h := range header {
			if i < len(rec) && rec[i] != "NULL" {
				row[h] = rec[i]
			} else {
				row[h] = nil
			}
		}
		rows = append(rows, row)
	}
	if rows == nil {
		rows = []map[string]any{}
	}
	return json.Marshal(rows)
}
