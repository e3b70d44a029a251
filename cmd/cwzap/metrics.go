package main

import "github.com/cwzap/cwzap/cwlogstest"

// tail shows an EMF event's metrics among its fields, with their units:
// "latency=12.5 (Milliseconds)"; the "_aws" directive itself is left out.

// metricUnits returns the unit of each metric an EMF event defines, nil
// for any other event, read as the service reads it.
func metricUnits(msg string) map[string]string {
	ms, ok := cwlogstest.ExtractMetrics([]byte(msg))
	if !ok || len(ms) == 0 {
		return nil
	}
	units := make(map[string]string, len(ms))
	for _, m := range ms {
		units[m.Name] = m.Unit
	}
	return units
}

// metricSuffix is what follows the value of field k: its unit when k is a
// metric with one.
func metricSuffix(units map[string]string, k string) string {
	if u, ok := units[k]; ok && u != "None" {
		return " (" + u + ")"
	}
	return ""
}
