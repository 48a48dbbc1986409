using System.Net;
using Lyndrix.Core.Hosting.Http;

namespace Lyndrix.Core.Tests.Hosting;

public class ClientKeyTests
{
    [TestCase("2001:db8:1:2::1", "2001:db8:1:2::/64")]
    [TestCase("2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64")]
    [TestCase("2001:db8:1:3::1", "2001:db8:1:3::/64")]
    [TestCase("::ffff:203.0.113.7", "203.0.113.7")]
    [TestCase("203.0.113.7", "203.0.113.7")]
    [TestCase("127.0.0.1", "loopback")]
    [TestCase("127.45.1.9", "loopback")]
    [TestCase("::1", "loopback")]
    [TestCase("::ffff:127.0.0.2", "loopback")]
    public void Keys_group_what_one_machine_can_rotate_through(string address, string key) =>
        Assert.That(ClientKey.For(IPAddress.Parse(address)), Is.EqualTo(key));
}
