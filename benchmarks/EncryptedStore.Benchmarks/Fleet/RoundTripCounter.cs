using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;

namespace EncryptedStore.Benchmarks.Fleet;

/// <summary>
/// A relay between the stores and a database server on this machine that counts round trips on the wire: every
/// time a client sends after the server last spoke on that connection (or for the first time) is one exchange. A
/// request split over several packets, or several requests pipelined before the answer, is one round trip, which is
/// what a caller waits for. Every connection a driver opens through <see cref="Port"/> is counted, its pool's
/// resets and pings included; on the MySQL protocol (in clear, as on localhost without TLS) the exchanges a pool makes
/// on its own, <c>COM_RESET_CONNECTION</c> and <c>COM_PING</c> when a pooled connection is opened, are also counted
/// apart (<see cref="PoolExchanges"/>). Only for counting: the relay adds latency, so no timing is taken through it.
/// </summary>
internal sealed class RoundTripCounter : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly EndPoint _server;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Socket> _sockets = [];
    private readonly bool _mySqlProtocol;
    private long _exchanges;
    private long _poolExchanges;

    /// <param name="host">The server's host name or address, or (PostgreSQL) the folder of its Unix socket.</param>
    /// <param name="port">The server's port (for a Unix socket, the number in its file name).</param>
    /// <param name="mySqlProtocol">True for MariaDB/MySQL: count the pool's resets and pings apart.</param>
    public RoundTripCounter(string host, int port, bool mySqlProtocol)
    {
        _mySqlProtocol = mySqlProtocol;
        _server = host.StartsWith('/')
            ? new UnixDomainSocketEndPoint(Path.Combine(host, $".s.PGSQL.{port}"))
            : new DnsEndPoint(host, port);
        _listener.Start();
        _ = AcceptAsync();
    }

    /// <summary>The local port to connect to instead of the server.</summary>
    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>Round trips so far, over every connection.</summary>
    public long Exchanges => Interlocked.Read(ref _exchanges);

    /// <summary>Of <see cref="Exchanges"/>, those that began with a MySQL connection reset or ping (0 on PostgreSQL).</summary>
    public long PoolExchanges => Interlocked.Read(ref _poolExchanges);

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        lock (_sockets)
        {
            foreach (var socket in _sockets)
            {
                socket.Dispose();
            }
        }

        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptSocketAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            _ = RelayAsync(client);
        }
    }

    private async Task RelayAsync(Socket client)
    {
        var server = _server is UnixDomainSocketEndPoint
            ? new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified)
            : new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        client.NoDelay = true;
        lock (_sockets)
        {
            _sockets.Add(client);
            _sockets.Add(server);
        }

        try
        {
            await server.ConnectAsync(_server, _stop.Token);
            // Whether the server spoke since the client last sent (1) or not (0); 1 at first, so a connection's first request counts.
            var serverSpoke = new StrongBox<int>(1);
            await Task.WhenAny(PumpAsync(client, server, fromClient: true, serverSpoke), PumpAsync(server, client, fromClient: false, serverSpoke));
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
        {
        }
        finally
        {
            client.Dispose();
            server.Dispose();
        }
    }

    /// <summary>
    /// True when a client's request starts with a MySQL packet of sequence 0 whose command is <c>COM_PING</c> (0x0e) or
    /// <c>COM_RESET_CONNECTION</c> (0x1f): a request begins a packet, as the previous exchange ended with the answer.
    /// </summary>
    private static bool IsResetOrPing(ReadOnlySpan<byte> request) =>
        request.Length >= 5 && request[3] == 0 && request[0] == 1 && request[1] == 0 && request[2] == 0 && request[4] is 0x0e or 0x1f;

    private async Task PumpAsync(Socket from, Socket to, bool fromClient, StrongBox<int> serverSpoke)
    {
        var buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                var read = await from.ReceiveAsync(buffer, SocketFlags.None, _stop.Token);
                if (read == 0)
                {
                    return;
                }

                if (!fromClient)
                {
                    // Set before the answer is passed on: the client's next request can only follow it.
                    Volatile.Write(ref serverSpoke.Value, 1);
                }
                else if (Interlocked.Exchange(ref serverSpoke.Value, 0) == 1)
                {
                    Interlocked.Increment(ref _exchanges);
                    if (_mySqlProtocol && IsResetOrPing(buffer.AsSpan(0, read)))
                    {
                        Interlocked.Increment(ref _poolExchanges);
                    }
                }

                await to.SendAsync(buffer.AsMemory(0, read), SocketFlags.None, _stop.Token);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
        {
        }
    }
}
