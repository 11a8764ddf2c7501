"""A WHIP publisher or WHEP viewer built on aiortc, for Bidcast's interop tests.

    aiortc_peer.py publish URL TOKEN CODEC   publish generated video until stdin closes
    aiortc_peer.py watch URL CODEC SECONDS   watch, counting decoded frames

Both print one JSON object per line on stdout ("event" names it) and stop
on their own after --timeout seconds. Only loopback candidates are
gathered, and no STUN server is asked. CODEC is H264 or VP8: each side
offers only that codec (aiortc's H264 offers are packetization-mode 1,
baseline profiles); the viewer reports the codec of the server's answer.
"""

import argparse
import asyncio
import json
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

import aioice.ice
import av
from aiortc import (
    RTCConfiguration,
    RTCPeerConnection,
    RTCRtpReceiver,
    RTCRtpSender,
    RTCSessionDescription,
    VideoStreamTrack,
)

# aioice leaves 127.0.0.1 out of its host candidates; the tests run on
# loopback only, so it is the one address offered.
aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: ["127.0.0.1"]

START = time.monotonic()


def emit(event, **fields):
    fields["event"] = event
    fields["t"] = round(time.monotonic() - START, 4)
    print(json.dumps(fields), flush=True)


def http(method, url, body=None, token=""):
    """Sends a request and returns (status, headers, body); errors are statuses too."""
    headers = {}
    if body is not None:
        headers["Content-Type"] = "application/sdp"
    if token:
        headers["Authorization"] = "Bearer " + token
    req = urllib.request.Request(url, data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, resp.headers, resp.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read().decode(errors="replace")


class Pattern(VideoStreamTrack):
    """640x360 frames at 30 fps: a white square gliding over grey.

    The motion is gentle on purpose: a picture that changes wholesale makes
    libx264 cut a new IDR every 25 frames, which would hide how long a
    viewer waits for a keyframe from a publisher that sends them rarely.
    """

    def __init__(self):
        super().__init__()
        self.n = 0

    async def recv(self):
        pts, time_base = await self.next_timestamp()
        frame = av.VideoFrame(640, 360, "yuv420p")
        for i, plane in enumerate(frame.planes):
            if i == 0:
                stride = plane.line_size
                y = bytearray([96]) * plane.buffer_size
                x0 = (2 * self.n) % (640 - 64)
                for row in range(148, 212):
                    y[row * stride + x0 : row * stride + x0 + 64] = b"\xeb" * 64
                plane.update(bytes(y))
            else:
                plane.update(bytes([128]) * plane.buffer_size)
        self.n += 1
        frame.pts, frame.time_base = pts, time_base
        return frame


async def negotiate(pc, url, token):
    """Posts the gathered offer and applies the answer; returns the resource URL."""
    await pc.setLocalDescription(await pc.createOffer())
    loop = asyncio.get_running_loop()
    status, headers, body = await loop.run_in_executor(
        None, http, "POST", url, pc.localDescription.sdp.encode(), token
    )
    if status != 201:
        emit("error", where="POST", status=status, body=body[:200])
        sys.exit(1)
    await pc.setRemoteDescription(RTCSessionDescription(sdp=body, type="answer"))
    return urllib.parse.urljoin(url, headers["Location"]), body


async def wait_connected(pc):
    done = asyncio.Event()

    @pc.on("connectionstatechange")
    def _():
        if pc.connectionState in ("connected", "failed", "closed"):
            done.set()

    if pc.connectionState != "connected":
        await done.wait()
    if pc.connectionState != "connected":
        emit("error", where="ICE", state=pc.connectionState)
        sys.exit(1)


async def delete(resource, token):
    loop = asyncio.get_running_loop()
    status, _, _ = await loop.run_in_executor(None, http, "DELETE", resource, None, token)
    return status


async def publish(args):
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    track = Pattern()
    tr = pc.addTransceiver(track, direction="sendonly")
    mime = "video/" + args.codec
    tr.setCodecPreferences(
        [c for c in RTCRtpSender.getCapabilities("video").codecs if c.mimeType == mime]
    )
    resource, _ = await negotiate(pc, args.url, args.token)
    await wait_connected(pc)
    emit("connected", resource=resource)
    # Publish until the test closes stdin.
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, sys.stdin.read)
    status = await delete(resource, args.token)
    emit("deleted", status=status, frames_sent=track.n)
    await pc.close()


async def watch(args):
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    tr = pc.addTransceiver("video", direction="recvonly")
    mime = "video/" + args.codec
    tr.setCodecPreferences(
        [c for c in RTCRtpReceiver.getCapabilities("video").codecs if c.mimeType == mime]
    )
    got = asyncio.get_running_loop().create_future()

    @pc.on("track")
    def on_track(track):
        if not got.done():
            got.set_result(track)

    posted = time.monotonic()
    resource, answer = await negotiate(pc, args.url, "")
    chosen = ""
    for line in answer.splitlines():
        if line.startswith("a=rtpmap:"):
            chosen = line.split()[1].split("/")[0]
            break
    await wait_connected(pc)
    connected = time.monotonic()
    emit("connected", codec=chosen, resource=resource)
    track = await got
    frames, first, size = 0, None, None
    end = None
    while end is None or time.monotonic() < end:
        try:
            # The first frame may wait for the publisher's next keyframe.
            frame = await asyncio.wait_for(track.recv(), 15 if first is None else 5)
        except asyncio.TimeoutError:
            break
        frames += 1
        if first is None:
            first = time.monotonic()
            size = [frame.width, frame.height]
            end = first + args.seconds
    fields = dict(frames=frames, codec=chosen, size=size)
    if first is not None:
        fields["first_frame_since_post"] = round(first - posted, 4)
        fields["first_frame_since_connected"] = round(first - connected, 4)
        fields["fps"] = round(frames / max(time.monotonic() - first, 1e-3), 1)
    emit("frames", **fields)
    emit("deleted", status=await delete(resource, ""))
    await pc.close()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--timeout", type=float, default=30)
    sub = p.add_subparsers(dest="mode", required=True)
    pub = sub.add_parser("publish")
    pub.add_argument("url")
    pub.add_argument("token")
    pub.add_argument("codec", choices=["H264", "VP8"])
    w = sub.add_parser("watch")
    w.add_argument("url")
    w.add_argument("codec", choices=["H264", "VP8"])
    w.add_argument("seconds", type=float)
    args = p.parse_args()
    run = publish if args.mode == "publish" else watch
    try:
        asyncio.run(asyncio.wait_for(run(args), args.timeout))
    except asyncio.TimeoutError:
        emit("error", where="timeout", seconds=args.timeout)
        sys.exit(1)


if __name__ == "__main__":
    main()
