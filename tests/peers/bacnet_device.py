#!/usr/bin/env python3
"""A BACnet/IP test device on bacpypes3 (an independent implementation, not driftvakt code).

Serves the objects of bacnet_objects.json on 127.0.0.1:PORT (UDP), prints `LISTENING <port>`
once it answers, and with --record appends every service it receives as a JSON line
{"t": unix_ms, "service": "read-property-multiple", "confirmed": true, "properties": 18,
"lifetime": 4, "process_id": 3021}. Counter objects count up by 1 every 0.5 s (changes of value for COV tests).

Strict modes (devices users meet): --max-rpm-properties N aborts every ReadPropertyMultiple
asking for more than N properties with segmentation-not-supported (like a controller whose
reply would not fit one APDU); --no-rpm rejects ReadPropertyMultiple as an unrecognized service;
--no-whole-object-list aborts a ReadProperty of the whole object-list (a large gateway), so it
must be read element by element.
"""

import argparse
import asyncio
import json
import os
import sys
import time

from bacpypes3.apdu import (
    AbortPDU,
    ConfirmedRequestPDU,
    ReadPropertyMultipleRequest,
    ReadPropertyRequest,
    RejectPDU,
    SubscribeCOVRequest,
)
from bacpypes3.app import Application
from bacpypes3.argparse import SimpleArgumentParser
from bacpypes3.basetypes import EngineeringUnits, PropertyIdentifier, Reliability, StatusFlags
from bacpypes3.local.analog import AnalogInputObject, AnalogValueObject
from bacpypes3.local.binary import BinaryValueObject

HERE = os.path.dirname(os.path.abspath(__file__))

# Confirmed and unconfirmed service names by choice, for the record.
CONFIRMED = {0: "acknowledge-alarm", 1: "confirmed-cov-notification", 5: "subscribe-cov", 6: "atomic-read-file",
             7: "atomic-write-file", 8: "add-list-element", 9: "remove-list-element", 10: "create-object",
             11: "delete-object", 12: "read-property", 14: "read-property-multiple", 15: "write-property",
             16: "write-property-multiple", 17: "device-communication-control", 20: "reinitialize-device",
             26: "read-range", 28: "subscribe-cov-property"}
UNCONFIRMED = {0: "i-am", 1: "i-have", 2: "unconfirmed-cov-notification", 6: "time-synchronization",
               7: "who-has", 8: "who-is", 9: "utc-time-synchronization", 10: "write-group"}


class OverriddenAnalogValue(AnalogValueObject):
    """An analog value whose status flags say OVERRIDDEN (a hand switch at the controller)."""

    @property
    def statusFlags(self):
        return StatusFlags([0, 0, 1, 0])

    @statusFlags.setter
    def statusFlags(self, value):
        pass


class TestApplication(Application):
    """Records every request, then enforces the strict modes, then serves normally."""

    record_path = None
    max_rpm_properties = None
    no_rpm = False
    no_whole_object_list = False

    def record(self, apdu):
        if not self.record_path:
            return
        confirmed = isinstance(apdu, ConfirmedRequestPDU)
        names = CONFIRMED if confirmed else UNCONFIRMED
        entry = {"t": int(time.time() * 1000), "service": names.get(apdu.apduService, f"service-{apdu.apduService}"),
                 "confirmed": confirmed}
        if isinstance(apdu, ReadPropertyMultipleRequest):
            entry["properties"] = sum(len(s.listOfPropertyReferences) for s in apdu.listOfReadAccessSpecs)
        if isinstance(apdu, SubscribeCOVRequest):
            entry["lifetime"] = apdu.lifetime
            entry["process_id"] = apdu.subscriberProcessIdentifier
        with open(self.record_path, "a") as f:
            f.write(json.dumps(entry) + "\n")

    async def indication(self, apdu):
        self.record(apdu)
        if isinstance(apdu, ReadPropertyMultipleRequest):
            if self.no_rpm:
                await self.response(RejectPDU(reason="unrecognizedService", context=apdu))
                return
            count = sum(len(s.listOfPropertyReferences) for s in apdu.listOfReadAccessSpecs)
            if self.max_rpm_properties is not None and count > self.max_rpm_properties:
                await self.response(AbortPDU(reason="segmentationNotSupported", context=apdu))
                return
        if (self.no_whole_object_list and isinstance(apdu, ReadPropertyRequest)
                and apdu.propertyIdentifier == PropertyIdentifier.objectList and apdu.propertyArrayIndex is None):
            await self.response(AbortPDU(reason="segmentationNotSupported", context=apdu))
            return
        await super().indication(apdu)


def make_object(spec):
    kind, instance = spec["object"].split(":")
    instance = int(instance)
    common = dict(objectName=spec["name"], objectIdentifier=(kind, instance))
    if kind == "binary-value":
        obj = BinaryValueObject(**common, presentValue=spec["value"], outOfService=False)
    elif kind == "analog-input":
        obj = AnalogInputObject(**common, presentValue=spec["value"], units=EngineeringUnits(spec["units"]),
                                covIncrement=0.0, outOfService=bool(spec.get("out_of_service", False)))
    elif spec.get("overridden"):
        obj = OverriddenAnalogValue(**common, presentValue=spec["value"], units=EngineeringUnits(spec["units"]),
                                    covIncrement=0.0, outOfService=False)
    else:
        obj = AnalogValueObject(**common, presentValue=spec["value"], units=EngineeringUnits(spec["units"]),
                                covIncrement=0.0, outOfService=bool(spec.get("out_of_service", False)))
    if "reliability" in spec:
        obj.reliability = Reliability(spec["reliability"])
    return obj


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--instance", type=int, default=None)
    parser.add_argument("--objects", default=os.path.join(HERE, "bacnet_objects.json"))
    parser.add_argument("--record", default=None)
    parser.add_argument("--max-rpm-properties", type=int, default=None)
    parser.add_argument("--no-rpm", action="store_true")
    parser.add_argument("--no-whole-object-list", action="store_true")
    args = parser.parse_args()

    spec = json.load(open(args.objects))
    instance = args.instance if args.instance is not None else spec["device"]["instance"]
    bargs = SimpleArgumentParser().parse_args([
        "--name", spec["device"]["name"], "--instance", str(instance),
        "--address", f"127.0.0.1/8:{args.port}", "--vendoridentifier", str(spec["device"]["vendor"]),
    ])
    app = TestApplication.from_args(bargs)
    app.record_path = args.record
    app.max_rpm_properties = args.max_rpm_properties
    app.no_rpm = args.no_rpm
    app.no_whole_object_list = args.no_whole_object_list
    counters = []
    for o in spec["objects"]:
        obj = make_object(o)
        app.add_object(obj)
        if o.get("counter"):
            counters.append(obj)
    print(f"LISTENING {args.port}", flush=True)
    while True:
        await asyncio.sleep(0.5)
        for c in counters:
            c.presentValue = c.presentValue + 1.0


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
