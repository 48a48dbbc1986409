using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Lyndrix.Core.Crypto;

/// <summary>
/// Argon2 memory that a dedicated hashing thread keeps from one hash to the next (the password hashing pool's threads opt in
/// with <see cref="KeepOnThisThread"/>). Without it the C library maps tens of MiB for every hash, faults each page in and unmaps
/// them again: work in the kernel under the process's memory-map lock, and an unmap interrupts the process's threads on the
/// other cores, while the hashing thread runs at the lowest CPU priority, so an API thread could wait for a thread that waits
/// for a core. libargon2 wipes the memory before it hands it back (<c>clear_internal_memory</c>); it is freed when the thread
/// calls <see cref="Release"/> or ends.
/// </summary>
internal static unsafe class ThreadHashMemory
{
    private const int Argon2MemoryAllocationError = -22;

    [ThreadStatic]
    private static bool t_kept;

    [ThreadStatic]
    private static Buffer? t_buffer;

    /// <summary>Whether hashes on this thread use its kept memory.</summary>
    public static bool IsKept => t_kept;

    /// <summary><c>allocate_fptr</c> of <c>argon2_context</c>: this thread's kept memory, grown when a hash needs more.</summary>
    public static IntPtr Allocate => (IntPtr)(delegate* unmanaged[Cdecl]<byte**, nuint, int>)&AllocateKept;

    /// <summary><c>deallocate_fptr</c>: keeps the (already wiped) memory for the next hash.</summary>
    public static IntPtr Free => (IntPtr)(delegate* unmanaged[Cdecl]<byte*, nuint, void>)&Keep;

    /// <summary>The calling thread's kept memory (empty when it keeps none); tests read it after a hash.</summary>
    internal static ReadOnlySpan<byte> Kept => t_buffer is { } buffer ? new(buffer.Pointer, checked((int)buffer.Size)) : default;

    /// <summary>From now on, hashes on the calling thread reuse one block of memory.</summary>
    public static void KeepOnThisThread() => t_kept = true;

    /// <summary>Frees the calling thread's kept memory (the next hash allocates it again).</summary>
    public static void Release()
    {
        t_buffer?.Dispose();
        t_buffer = null;
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static int AllocateKept(byte** memory, nuint size)
    {
        try
        {
            if (t_buffer is not { } buffer || buffer.Size < size)
            {
                Release();
                buffer = t_buffer = new Buffer(size);
            }

            *memory = buffer.Pointer;
            return 0;
        }
        catch (OutOfMemoryException)
        {
            return Argon2MemoryAllocationError;
        }
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void Keep(byte* memory, nuint size)
    {
    }

    /// <summary>Native memory that is freed with its thread even when nobody calls <see cref="Release"/>.</summary>
    private sealed class Buffer(nuint size) : IDisposable
    {
        private byte* _pointer = (byte*)NativeMemory.AlignedAlloc(size, 64);

        ~Buffer() => Free();

        public nuint Size { get; } = size;

        public byte* Pointer => _pointer;

        public void Dispose()
        {
            Free();
            GC.SuppressFinalize(this);
        }

        private void Free()
        {
            NativeMemory.AlignedFree(_pointer);
            _pointer = null;
        }
    }
}
