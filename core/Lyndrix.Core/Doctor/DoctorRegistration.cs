using Lyndrix.Core.Audit;
using Lyndrix.Core.Auth;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Lyndrix.Core.Doctor;

/// <summary>Registers the doctor and its administrator-only endpoint.</summary>
internal static class DoctorRegistration
{
    public static IServiceCollection Add(IServiceCollection services) => services.AddSingleton<HostDoctor>();

    public static IEndpointRouteBuilder Map(IEndpointRouteBuilder app)
    {
        DoctorEndpoints.Map(app).RequireLyndrixAdmin().Audited(_ => "doctor.run");
        return app;
    }
}
