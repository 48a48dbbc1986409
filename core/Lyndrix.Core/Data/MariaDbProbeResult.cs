using System.Net.Sockets;

namespace Lyndrix.Core.Data;

internal sealed record MariaDbProbeResult(MariaDbProbeOutcome Outcome, SocketError? SocketError = null, int? ServerErrorCode = null, bool ServerOffersTls = false);
