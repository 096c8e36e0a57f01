package bmjson

// MeterArray is an entry of "meter_arrays".
type MeterArray struct {
	Name         string    `json:"name"`
	ID           int       `json:"id"`
	Type         string    `json:"type"`
	RateCount    int       `json:"rate_count"`
	Size         int       `json:"size"`
	IsDirect     bool      `json:"is_direct"`
	Binding      string    `json:"binding"`
	ResultTarget *FieldRef `json:"result_target"`
}

// CounterArray is an entry of "counter_arrays".
type CounterArray struct {
	Name     string `json:"name"`
	ID       int    `json:"id"`
	Size     int    `json:"size"`
	IsDirect bool   `json:"is_direct"`
	Binding  string `json:"binding"`
}

// RegisterArray is an entry of "register_arrays".
type RegisterArray struct {
	Name     string `json:"name"`
	ID       int    `json:"id"`
	Size     int    `json:"size"`
	Bitwidth int    `json:"bitwidth"`
}

// Calculation is an entry of "calculations": a hash over fields,
// constants, headers and payload.
type Calculation struct {
	Name  string       `json:"name"`
	ID    int          `json:"id"`
	Algo  string       `json:"algo"`
	Input []TypedValue `json:"input"`
}

// Checksum is an entry of "checksums".
type Checksum struct {
	Name        string      `json:"name"`
	ID          int         `json:"id"`
	Target      FieldRef    `json:"target"`
	Type        string      `json:"type"`
	Calculation string      `json:"calculation"`
	Update      *bool       `json:"update"`
	Verify      *bool       `json:"verify"`
	IfCond      *TypedValue `json:"if_cond"`
}
